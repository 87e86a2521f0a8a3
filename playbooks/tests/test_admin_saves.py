"""The playbook admin writes through its service (issue 15, "Writes that skip their service"): a
playbook added in the admin is `playbook_create`'s, first draft included. The catalogue's admin
is tested in catalog/tests/test_admin.py."""

import pytest
from django.urls import reverse

from catalog.models import Service
from playbooks.models import Playbook, PlaybookEvent, VersionStatus
from playbooks.tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def test_a_playbook_added_in_the_admin_has_its_first_draft(admin_client, admin_user):
    search = ServiceFactory(name="Search", slug="search")
    response = admin_client.post(
        reverse("admin:playbooks_playbook_add"),
        {
            "service": search.pk,
            "incident_type": "",
            "title": "  Search is down  ",
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    playbook = Playbook.objects.get(service=search)
    assert playbook.title == "Search is down"
    [draft] = playbook.versions.all()
    assert (draft.number, draft.status, draft.author) == (1, VersionStatus.DRAFT, admin_user)
    assert PlaybookEvent.objects.filter(version=draft).count() == 1


def test_a_playbook_title_is_still_edited_in_the_admin(admin_client, admin_user):
    search = ServiceFactory(name="Search", slug="search")
    playbook = Playbook.objects.create(service=search, title="Old")
    response = admin_client.post(
        reverse("admin:playbooks_playbook_change", args=[playbook.pk]),
        {
            "service": search.pk,
            "incident_type": "",
            "title": "New",
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    playbook.refresh_from_db()
    assert playbook.title == "New"
    assert Service.objects.count() == 1
