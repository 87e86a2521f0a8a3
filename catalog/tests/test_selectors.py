"""Who sees which service: `visible_services`."""

import pytest
from django.contrib.auth.models import Group
from guardian.shortcuts import assign_perm

from catalog import selectors
from incidents.tests.factories import UserFactory
from playbooks.tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def vault():
    """A restricted service: `view_service` is granted to one user and one group."""
    service = ServiceFactory(name="Vault", tier=2)
    assign_perm("catalog.view_service", UserFactory(username="insider"), service)
    group = Group.objects.create(name="vault-team")
    assign_perm("catalog.view_service", group, service)
    UserFactory(username="member").groups.add(group)
    return service


def test_visible_services_selector(vault, search):
    def visible(user):
        return sorted(selectors.visible_services(user).values_list("slug", flat=True))

    assert visible(UserFactory(username="pat")) == ["search"]
    assert visible(UserFactory(username="member")) == ["search", "vault"]
    assert visible(UserFactory(username="gone", is_active=False)) == []
    assert visible(None) == []
