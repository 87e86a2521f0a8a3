import pytest
from django.core.management import call_command

from incidents.models import Incident, IncidentStatus
from people.models import Delegation
from people.selectors import single_points_of_failure

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
    from catalog.models import Service
    from playbooks import selectors
    from playbooks.models import PlaybookVersion, VersionStatus

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


def test_demo_response_plans_are_active_and_every_audience_has_a_backup(settings, tmp_path):
    from people.models import UserPreference
    from response.models import ResponsePlan
    from response.services import response_plan_for

    settings.VAR_DIR = tmp_path
    call_command("seed_demo")
    call_command("seed_demo")
    plans = {plan.name: plan for plan in ResponsePlan.objects.prefetch_related("steps")}
    assert len(plans) == 3 and all(plan.is_active for plan in plans.values())
    for plan in plans.values():
        channels = {}
        for method in plan.communication_methods.all():
            channels.setdefault(method.audience, []).append(method.channel)
        assert all(len(set(ranked)) >= 2 for ranked in channels.values()), plan
    security = plans["Security incident"]
    assert set(security.communication_methods.values_list("audience", flat=True)) == {"responders"}
    paged = {s.function.slug for p in plans.values() for s in p.steps.all() if s.function}
    assert paged == {"communications-lead", "executive", "security-lead"}
    checkout = Incident.objects.get(title__startswith="Checkout API")
    assert (
        response_plan_for(incident_type=checkout.incident_type, severity=checkout.severity)
        == plans["Major outage (SEV1)"]
    )
    assert checkout.plan_steps.filter(action="manual").count() == 3
    assert UserPreference.objects.exclude(phone="").count() == 7
    assert not UserPreference.objects.exclude(slack_user_id="").exists()


def test_the_unacknowledged_demo_sev1_pages_its_chain_within_five_minutes(settings, tmp_path):
    from datetime import timedelta

    from incidents.models import EscalationNotice
    from incidents.services.escalation import incident_escalate

    settings.VAR_DIR = tmp_path
    call_command("seed_demo")
    incident = Incident.objects.get(title__startswith="Checkout API")
    assert incident.acknowledged_at is None
    for minute in range(6):  # beat ticks every minute
        incident_escalate(
            incident_id=incident.pk, now=incident.declared_at + timedelta(minutes=minute)
        )
    notices = EscalationNotice.objects.filter(incident=incident).order_by("round", "stage")
    assert [
        (n.round, n.stage, sorted(u.username for u in n.recipients.all())) for n in notices
    ] == [
        (1, 1, ["cora"]),
        (1, 2, ["cora", "erin", "stella"]),  # commander, communications lead, executive
        (1, 3, ["pat"]),  # the commander's backup at 1 min
        (1, 4, ["erin"]),  # the executive at 2 min
        (2, 1, ["cora"]),  # round 2 at 4 min
        (2, 2, ["cora", "erin", "stella"]),
        (2, 3, ["pat"]),
    ]
