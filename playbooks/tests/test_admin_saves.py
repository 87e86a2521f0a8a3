"""The catalogue and playbook admins write through their services (issue 15, "Writes that skip
their service"): a service's change goes through `service_update`, whose refusals show on the
form with nothing saved, and a playbook added in the admin is `playbook_create`'s, first draft
included."""

import pytest
from django.urls import reverse

from catalog.models import Service
from incidents.tests.factories import TeamFactory
from playbooks.models import Playbook, PlaybookEvent, VersionStatus
from playbooks.tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def service_data(service, **changes):
    return {
        "name": service.name,
        "slug": service.slug,
        "description": service.description,
        "owner_team": service.owner_team_id or "",
        "tier": service.tier,
        "is_active": "on" if service.is_active else "",
        "environments": '["prod"]',
        "regions": "[]",
        "links": "[]",
        "dependencies": [d.pk for d in service.dependencies.all()],
        "events-TOTAL_FORMS": "0",  # the history, a read-only inline
        "events-INITIAL_FORMS": "0",
        **changes,
    }


def change(client, service, **changes):
    url = reverse("admin:catalog_service_change", args=[service.pk])
    return client.post(url, service_data(service, **changes))


def test_a_service_cannot_be_made_to_depend_on_itself(admin_client):
    ledger = ServiceFactory(name="Ledger", slug="ledger", owner_team=TeamFactory())
    search = ServiceFactory(name="Search", slug="search")
    response = change(admin_client, ledger, name="Ledger 2", dependencies=[ledger.pk, search.pk])
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["dependencies"] == ["A service cannot depend on itself."]
    ledger.refresh_from_db()
    assert ledger.name == "Ledger"
    assert list(ledger.dependencies.all()) == []


def test_a_service_change_goes_through_the_service(admin_client):
    ledger = ServiceFactory(name="Ledger", slug="ledger", owner_team=TeamFactory())
    search = ServiceFactory(name="Search", slug="search")
    response = change(admin_client, ledger, tier=1, dependencies=[search.pk])
    assert response.status_code == 302, response.context["adminform"].form.errors
    ledger.refresh_from_db()
    assert ledger.tier == 1
    assert ledger.environments == ["prod"]
    assert list(ledger.dependencies.all()) == [search]


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
