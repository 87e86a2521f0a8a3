"""A batch of escalations is processed as a batch: the same queries for 10 incidents as for
50, with every kind of stage (commander, paged functions, next delegates, the executive),
skips (an unavailable backup) and both escalations due at once."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.models import EscalationKind, EscalationNotice, Incident, TimelineKind
from incidents.services import escalation
from incidents.tests.escalation_setup import escalation_org, sev1_paging_policy
from incidents.tests.people_setup import away
from notifications.models import Delivery, Notification

pytestmark = pytest.mark.django_db
MINUTE = timedelta(minutes=1)


@pytest.fixture
def org(sev1, sev2):
    org = escalation_org()
    sev1_paging_policy(org, sev1, sev2)
    away(org.pat)  # the commander's backup and the communications lead: skipped
    return org


def due_batch(declare, org, sev1, count):
    """`count` SEV1 incidents 15 minutes after declaration, unacknowledged, with a status
    update due 10 minutes ago: every acknowledgement stage of round 1 and the update
    escalation's first two stages are due."""
    ids = [declare(actor=org.cora, commander=org.cora, severity=sev1).pk for _n in range(count)]
    declared_at = timezone.now() - 15 * MINUTE
    Incident.objects.filter(pk__in=ids).update(
        declared_at=declared_at, next_update_due=declared_at + 5 * MINUTE, update_reminders=True
    )
    return ids, declared_at + 15 * MINUTE


def batch_queries(declare, org, sev1, count):
    ids, now = due_batch(declare, org, sev1, count)
    with CaptureQueriesContext(connection) as queries:
        sent = escalation.escalate_incidents(ids, now=now)
    assert sent == count * 7  # 5 acknowledgement stages, 2 update stages each
    return len(queries)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks as in production")
def test_a_batch_costs_the_same_queries_for_10_incidents_as_for_50(declare, org, sev1):
    assert batch_queries(declare, org, sev1, 10) == batch_queries(declare, org, sev1, 50)


def test_a_batch_sends_each_incident_its_stages_and_skips(declare, org, sev1):
    (first, second), now = due_batch(declare, org, sev1, 2)
    escalation.escalate_incidents([first, second], now=now)
    for pk in (first, second):
        notices = EscalationNotice.objects.filter(incident_id=pk).order_by("kind", "round", "stage")
        told = [
            (n.kind, n.stage, sorted(u.username for u in n.recipients.all()), len(n.skipped))
            for n in notices
        ]
        assert told == [
            (EscalationKind.ACKNOWLEDGE, 1, ["cora"], 0),
            (EscalationKind.ACKNOWLEDGE, 2, [], 1),  # Pat, the communications lead, is away
            (EscalationKind.ACKNOWLEDGE, 3, ["nina"], 1),  # Pat skipped for Nina
            (EscalationKind.ACKNOWLEDGE, 4, [], 1),  # past Nina nobody is left
            (EscalationKind.ACKNOWLEDGE, 5, ["erin"], 0),
            (EscalationKind.UPDATE, 1, ["cora"], 0),
            (EscalationKind.UPDATE, 2, ["nina"], 1),
        ]
        skips = Incident.objects.get(pk=pk).timeline.filter(kind=TimelineKind.ESCALATION_SKIPPED)
        assert all("Pat" in event.message for event in skips)
        pages = Notification.objects.filter(incident_id=pk, event="page")
        assert Delivery.objects.filter(notification__in=pages).exists()
