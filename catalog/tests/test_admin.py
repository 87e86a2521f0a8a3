"""The catalogue's admin writes through its services (issue 15, "Writes that skip their
service"): a service added or changed goes through `service_create` or `service_update`, whose
refusals show on the form with nothing saved."""

import pytest
from django.urls import reverse

from catalog.models import Service
from incidents.tests.factories import TeamFactory
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


def test_service_add_saves_dependencies(admin_client, search):
    team = TeamFactory(name="Payments", slug="payments")
    response = admin_client.post(
        reverse("admin:catalog_service_add"),
        {
            "name": "Ledger",
            "slug": "ledger",
            "owner_team": team.pk,
            "tier": 1,
            "is_active": "on",
            "environments": '["prod"]',
            "regions": "[]",
            "links": "[]",
            "dependencies": [search.pk],
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    ledger = Service.objects.get(slug="ledger")
    assert list(ledger.dependencies.all()) == [search]


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
