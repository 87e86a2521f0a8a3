"""Migration 0014 replaces the update reminders with escalation notices: a reminder already
sent stays sent (stage N of round 1 of its due time), so the upgrade tells nobody twice."""

from datetime import UTC, datetime

import pytest

from incidents.tests.migration_steps import migrate, old_schema_at

BEFORE = [("incidents", "0012_slack_identity")]
AFTER = [("incidents", "0014_escalation_chains")]
DUE = datetime(2026, 12, 3, 10, 30, tzinfo=UTC)

old_schema = old_schema_at(BEFORE)


@pytest.mark.django_db(transaction=True)
def test_sent_reminders_become_sent_notices(old_schema):
    User = old_schema.get_model("auth", "User")
    cora, pat = User.objects.create(username="cora"), User.objects.create(username="pat")
    incident = old_schema.get_model("incidents", "Incident").objects.create(
        reference="INC-2026-0001",
        title="Checkout down",
        channel_name="inc-checkout-down",
        incident_type=old_schema.get_model("incidents", "IncidentType").objects.create(
            name="Outage", slug="outage"
        ),
        severity=old_schema.get_model("incidents", "SeverityLevel").objects.create(
            name="SEV1", rank=1
        ),
        declared_by=cora,
        affects_customers=True,
        unplanned=True,
        exceeds_one_hour=True,
        declared_at=DUE,
    )
    UpdateReminder = old_schema.get_model("incidents", "UpdateReminder")
    UpdateReminder.objects.create(incident=incident, due_at=DUE, stage=1, recipient=cora)
    UpdateReminder.objects.create(incident=incident, due_at=DUE, stage=2, recipient=pat)

    apps = migrate(AFTER)

    notices = apps.get_model("incidents", "EscalationNotice").objects.order_by("stage")
    assert [
        (n.kind, n.anchor, n.round, n.stage, [u.username for u in n.recipients.all()])
        for n in notices
    ] == [("update", DUE, 1, 1, ["cora"]), ("update", DUE, 1, 2, ["pat"])]
