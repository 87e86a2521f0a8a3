"""A batch of escalations is processed as a batch: the same queries for 10 incidents as for
50, with every kind of stage (commander, paged functions, next delegates, the executive),
skips (an unavailable backup) and both escalations due at once."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import services, tasks
from incidents.models import EscalationNotice, Incident, TimelineKind
from incidents.services import escalation, escalation_reads
from incidents.services.escalation import escalations_due
from incidents.tests.escalation_setup import escalation_org, sev1_paging_policy
from notifications.models import Delivery, Notification
from people.tests.setup import away
from policy.models import EscalationKind
from response.models import CommunicationMethod, ResponsePlan, ResponsePlanStep
from response.services import response_plan_activate

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
        pages = Notification.objects.filter(incident=pk, event="page")
        assert Delivery.objects.filter(notification__in=pages).exists()


def unacknowledged(declare, org, severity, **fields):
    incident = declare(actor=org.cora, commander=org.cora, severity=severity)
    Incident.objects.filter(pk=incident.pk).update(
        next_update_due=incident.declared_at + timedelta(days=1), **fields
    )
    incident.refresh_from_db()
    return incident


def test_an_incident_between_acknowledgement_stages_is_due_at_the_next_one(declare, org, sev1):
    incident = unacknowledged(declare, org, sev1)
    start = incident.declared_at
    assert escalations_due(now=start) == [incident.pk]  # not looked at yet
    escalation.escalate_incidents([incident.pk], now=start)  # stages 1 and 2 (at 0 min)
    assert escalations_due(now=start + 4 * MINUTE) == []
    assert escalations_due(now=start + 5 * MINUTE) == [incident.pk]  # stage 3 at 5 min


def test_an_ended_acknowledgement_escalation_is_due_no_more(declare, org, sev1, sev2):
    paging = unacknowledged(declare, org, sev1)
    silent = unacknowledged(declare, org, sev2)  # its level pages nobody
    end = paging.declared_at + 60 * MINUTE  # past both rounds
    escalation.escalate_incidents([paging.pk, silent.pk], now=end)
    assert EscalationNotice.objects.filter(incident=paging).count() == 5  # each stage once
    assert escalations_due(now=end + 60 * MINUTE) == []
    services.incident_change_severity(incident=silent, actor=org.cora, severity=sev1)
    assert escalations_due(now=end + 60 * MINUTE) == [silent.pk]  # its new level pages


def test_a_queued_batch_is_not_queued_again_until_it_has_run(declare, org, sev1, monkeypatch):
    incident = unacknowledged(declare, org, sev1)
    queued = []
    monkeypatch.setattr(tasks, "try_publish", lambda task, args: queued.append(args) or True)
    start = incident.declared_at
    with time_machine.travel(start + MINUTE, tick=False):
        assert tasks.send_update_reminders() == 1
        assert tasks.send_update_reminders() == 0  # still pending: not queued twice
    with time_machine.travel(start + MINUTE + escalation_reads.QUEUED_FOR * 2, tick=False):
        assert tasks.send_update_reminders() == 1  # lost (a worker died): queued again
        tasks.escalate_batch(*queued[-1])
        assert escalations_due() == []  # run: stages at 0 min sent, the next at 5 min
    assert queued == [([incident.pk],), ([incident.pk],)]


def test_the_stages_at_declaration_do_not_page_again_whom_the_plan_paged(
    declare, outage, sev1, sev2, django_capture_on_commit_callbacks
):
    org = escalation_org()
    sev1_paging_policy(org, sev1, sev2)
    plan = ResponsePlan.objects.create(name="Outages", incident_type=outage)
    for rank, (channel, target) in enumerate(
        [("slack", "incident_channel"), ("email", "each_person")]
    ):
        CommunicationMethod.objects.create(
            plan=plan, audience="responders", rank=rank, channel=channel, target=target
        )
    ResponsePlanStep.objects.create(
        plan=plan, position=0, action="page_function", function=org.comms
    )
    response_plan_activate(plan=plan)
    with django_capture_on_commit_callbacks(execute=True):
        incident = declare(actor=org.cora, commander=org.cora, severity=sev1)
    escalation.escalate_incidents([incident.pk], now=incident.declared_at)
    pages = Notification.objects.filter(incident=incident, event="page")
    assert sorted(pk for people in pages.values_list("people", flat=True) for pk in people) == [
        org.cora.pk,  # by the escalation's first stage
        org.pat.pk,  # by the plan only: the escalation's second stage names Pat without paging
    ]
    (stage,) = incident.timeline.filter(kind=TimelineKind.PAGED, after__stage=2)
    assert "Pat" in stage.message and "already paged by the response plan" in stage.message
    notice = EscalationNotice.objects.get(incident=incident, stage=2)
    assert list(notice.recipients.all()) == [org.pat]  # the next delegate still walks past Pat
