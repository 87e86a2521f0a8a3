"""The demo's catalogue is made through the catalogue's services, as the demo's admin."""

import pytest
from django.contrib.auth import get_user_model

from catalog.models import CatalogEvent, CatalogEventKind, Service
from incidents.tests.factories import TeamFactory
from playbooks.demo import ensure_catalogue

pytestmark = pytest.mark.django_db


def test_the_demo_catalogue_is_audited_and_a_second_run_records_nothing():
    admin = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
    for slug in ("platform", "payments", "growth"):
        TeamFactory(slug=slug)
    ensure_catalogue()
    events = list(CatalogEvent.objects.select_related("service", "actor"))
    assert {e.actor for e in events} == {admin}
    assert sorted(e.service.slug for e in events if e.kind == CatalogEventKind.CREATED) == sorted(
        Service.objects.values_list("slug", flat=True)
    )
    with_dependencies = {e.service.slug for e in events if e.kind == CatalogEventKind.UPDATED}
    assert with_dependencies == {"checkout", "payments-api", "search", "mobile-push"}
    assert set(
        Service.objects.get(slug="checkout").dependencies.values_list("slug", flat=True)
    ) == {
        "identity",
        "payments-api",
    }
    ensure_catalogue()
    assert CatalogEvent.objects.count() == len(events)
