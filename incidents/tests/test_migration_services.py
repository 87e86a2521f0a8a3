"""Migration 0006 turns the free list `affected_services` into links to catalogued services."""

import pytest
from django.utils import timezone

from incidents.tests.migration_steps import migrate, old_schema_at

BEFORE = [("incidents", "0005_delegation_order_org_first"), ("playbooks", "0001_initial")]
AFTER = [("incidents", "0007_remove_incident_affected_services")]

old_schema = old_schema_at(BEFORE)


def old_incident(apps, number, names, team=None):
    Incident = apps.get_model("incidents", "Incident")
    kind, _ = apps.get_model("incidents", "IncidentType").objects.get_or_create(
        slug="outage", defaults={"name": "Outage"}
    )
    severity, _ = apps.get_model("incidents", "SeverityLevel").objects.get_or_create(
        name="SEV2", defaults={"rank": 2}
    )
    user, _ = apps.get_model("auth", "User").objects.get_or_create(username="cora")
    return Incident.objects.create(
        reference=f"INC-2024-{number:04d}",
        title=f"Incident {number}",
        channel_name=f"inc_{number}",
        incident_type=kind,
        severity=severity,
        declared_by=user,
        team=team,
        affects_customers=True,
        unplanned=True,
        exceeds_one_hour=True,
        declared_at=timezone.now(),
        affected_services=names,
    )


@pytest.mark.django_db(transaction=True)
def test_free_names_become_services_owned_by_the_incident_s_team(old_schema):
    apps = old_schema
    Team = apps.get_model("incidents", "Team")
    payments = Team.objects.create(name="Payments", slug="payments")
    Team.objects.create(name="Zeta", slug="zeta")
    Service = apps.get_model("playbooks", "Service")
    Service.objects.create(name="Search engine", slug="search", owner_team=payments, tier=1)
    first = old_incident(apps, 1, ["Checkout", " checkout ", "search", ""], team=payments)
    second = old_incident(apps, 2, ["Mobile Push", "Checkout"])
    old_incident(apps, 3, [])

    apps = migrate(AFTER)

    Incident = apps.get_model("incidents", "Incident")
    Service = apps.get_model("playbooks", "Service")
    by_slug = {s.slug: s for s in Service.objects.select_related("owner_team")}
    assert set(by_slug) == {"checkout", "search", "mobile-push"}
    assert (by_slug["checkout"].name, by_slug["checkout"].tier) == ("Checkout", 3)
    assert by_slug["checkout"].owner_team.slug == "payments"  # the first incident's team
    assert by_slug["search"].name == "Search engine"  # found, not created again
    assert by_slug["mobile-push"].owner_team.slug == "payments"  # no team: the first team
    links = {
        i.reference: sorted(s.slug for s in i.services.all())
        for i in Incident.objects.prefetch_related("services")
    }
    assert links == {
        first.reference: ["checkout", "search"],
        second.reference: ["checkout", "mobile-push"],
        "INC-2024-0003": [],
    }
    assert "affected_services" not in {f.name for f in Incident._meta.get_fields()}


@pytest.mark.django_db(transaction=True)
def test_without_any_team_an_unassigned_team_owns_them_and_it_reverses(old_schema):
    incident = old_incident(old_schema, 1, ["Checkout"])

    apps = migrate(AFTER)
    service = apps.get_model("playbooks", "Service").objects.get()
    assert (service.slug, service.owner_team.name) == ("checkout", "Unassigned")

    apps = migrate(BEFORE)
    restored = apps.get_model("incidents", "Incident").objects.get(pk=incident.pk)
    assert restored.affected_services == ["Checkout"]
