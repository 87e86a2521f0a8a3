from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from incidents import roles
from people.models import CriticalFunction, Delegation, Team, Unavailability
from policy.models import ExitCriterion, IncidentType, Priority, SeverityLevel


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pass-word-123")

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        for name in extracted or ():
            self.groups.add(Group.objects.get(name=name))


def commander(**kwargs):
    return UserFactory(groups=[roles.COMMANDERS], **kwargs)


def responder(**kwargs):
    return UserFactory(groups=[roles.RESPONDERS], **kwargs)


def stakeholder(**kwargs):
    return UserFactory(groups=[roles.STAKEHOLDERS], **kwargs)


class SeverityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SeverityLevel
        django_get_or_create = ("name",)

    rank = factory.Sequence(lambda n: n + 1)
    name = factory.LazyAttribute(lambda s: f"SEV{s.rank}")


class PriorityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Priority
        django_get_or_create = ("name",)

    rank = factory.Sequence(lambda n: n + 1)
    name = factory.LazyAttribute(lambda p: f"P{p.rank}")


class IncidentTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IncidentType
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Type {n}")
    slug = factory.LazyAttribute(lambda t: t.name.lower().replace(" ", "-"))


class ExitCriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExitCriterion

    incident_type = factory.SubFactory(IncidentTypeFactory)
    text = factory.Sequence(lambda n: f"Criterion {n}")
    required = True
    position = factory.Sequence(lambda n: n)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.LazyAttribute(lambda t: t.name.lower().replace(" ", "-"))


class CriticalFunctionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CriticalFunction
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Function {n}")
    slug = factory.LazyAttribute(lambda f: f.name.lower().replace(" ", "-"))
    position = factory.Sequence(lambda n: n)


class DelegationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Delegation

    function = factory.SubFactory(CriticalFunctionFactory)
    user = factory.SubFactory(UserFactory)
    rank = 1


class UnavailabilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unavailability

    user = factory.SubFactory(UserFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    ends_at = factory.LazyAttribute(lambda w: w.starts_at + timedelta(days=3))
    reason = "holiday"
