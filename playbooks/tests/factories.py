import factory

from catalog.models import Service
from incidents.tests.factories import TeamFactory, UserFactory
from playbooks.models import Playbook


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Service {n}")
    slug = factory.LazyAttribute(lambda s: s.name.lower().replace(" ", "-"))
    owner_team = factory.SubFactory(TeamFactory)
    tier = 2


class PlaybookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Playbook

    service = factory.SubFactory(ServiceFactory)
    title = factory.LazyAttribute(lambda p: f"{p.service.name} playbook")


__all__ = ["PlaybookFactory", "ServiceFactory", "UserFactory"]
