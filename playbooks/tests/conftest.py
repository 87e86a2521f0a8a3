import pytest
from django.contrib.auth.models import Permission
from guardian.shortcuts import assign_perm

from incidents.tests.factories import UserFactory
from playbooks import services
from playbooks.tests.factories import PlaybookFactory, ServiceFactory


def editor_user(username):
    user = UserFactory(username=username)
    user.user_permissions.add(
        Permission.objects.get(codename="change_playbook", content_type__app_label="playbooks")
    )
    return user


@pytest.fixture
def author():
    return editor_user("ada")


@pytest.fixture
def checkout():
    return ServiceFactory(name="Checkout", slug="checkout", tier=1)


@pytest.fixture
def search():
    return ServiceFactory(name="Search", slug="search", tier=2)


@pytest.fixture
def approvers(checkout, search):
    """Two people allowed to approve on both services (object permission), one on neither."""
    people = [editor_user("bea"), editor_user("cy")]
    for person in people:
        assign_perm("catalog.approve_playbook", person, checkout)
        assign_perm("catalog.approve_playbook", person, search)
    return people


@pytest.fixture
def submitted(author):
    """Submit a new version of a playbook of `service`."""

    def _submitted(service, content="1. Check the dashboard"):
        playbook = service.playbooks.first() or PlaybookFactory(service=service)
        version = services.playbook_version_create(
            actor=author,
            playbook=playbook,
            content=content,
            steps=[{"text": "Roll back", "expected_outcome": "Errors drop"}],
        )
        return services.playbook_version_submit(actor=author, version=version)

    return _submitted
