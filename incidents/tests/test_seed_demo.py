import pytest
from django.core.management import call_command

from incidents.delegation import single_points_of_failure
from incidents.models import Delegation, Incident, IncidentStatus

pytestmark = pytest.mark.django_db


def test_demo_data_is_idempotent_and_has_one_deliberate_spof(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo")
    counts = (Incident.objects.count(), Delegation.objects.count())
    call_command("seed_demo")
    assert (Incident.objects.count(), Delegation.objects.count()) == counts
    assert {s for s in Incident.objects.values_list("status", flat=True)} == set(IncidentStatus)
    assert [(r.function.slug, r.team) for r in single_points_of_failure()] == [
        ("security-lead", None)
    ]
    assert (tmp_path / "demo-credentials.txt").read_text()


def test_demo_playbooks_cover_every_state(settings, tmp_path):
    from playbooks import selectors
    from playbooks.models import PlaybookVersion, Service, VersionStatus

    settings.VAR_DIR = tmp_path
    call_command("seed_demo")
    call_command("seed_demo")
    assert Service.objects.count() == 8
    assert Service.objects.values("owner_team").distinct().count() == 3
    assert set(PlaybookVersion.objects.values_list("status", flat=True)) == set(VersionStatus)
    rows = {row.service.slug: row for row in selectors.coverage()}
    assert sorted(slug for slug, row in rows.items() if row.is_covered) == [
        "checkout",
        "payments-api",
        "web",
    ]
    assert len(rows) == 8
    assert rows["search"].has_approved and not rows["search"].verified_current  # expired
    assert rows["mobile-push"].last_verification is None
    assert rows["web"].pending_reviews == 1
    assert (
        not rows["identity"].has_approved
        and not Service.objects.get(slug="identity").playbooks.exists()
    )
    checkout_incident = Incident.objects.get(title__startswith="Checkout API")
    assert checkout_incident.playbook_steps.count() == 3
