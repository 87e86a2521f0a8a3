"""Status-update reminders: the commander at the due time, then the commander's backup, then
the executive; once per stage; reset by an update; stopped by resolution."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from incidents import services
from incidents.models import Delegation, ReminderStage, TimelineKind, UpdateReminder
from incidents.services.reminders import incident_remind_update, reminders_due
from incidents.tests import factories
from incidents.tests.people_setup import away, build_org, person

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    org = build_org()
    executive = factories.CriticalFunctionFactory(name="Executive", slug="executive", position=9)
    erin = person("erin", "Erin", "Exec", factories.stakeholder)
    Delegation.objects.create(function=executive, team=None, user=erin, rank=1)
    org.erin = erin
    return org


@pytest.fixture
def overdue(declare, org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        incident = declare(actor=org.cora, commander=org.cora)
    incident.refresh_from_db()
    assert incident.update_reminders  # the default plan schedules them
    mail.outbox.clear()
    return incident


def remind(incident, after):
    return incident_remind_update(incident_id=incident.pk, now=incident.next_update_due + after)


def test_nothing_before_the_update_is_due(overdue):
    assert remind(overdue, -timedelta(seconds=1)) is None
    assert reminders_due(now=overdue.next_update_due - timedelta(seconds=1)) == []
    assert reminders_due(now=overdue.next_update_due) == [overdue.pk]


def test_the_commander_is_reminded_once(overdue, org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        reminder = remind(overdue, timedelta(seconds=5))
        assert remind(overdue, timedelta(minutes=1)) is None  # same stage, same due time
    assert reminder.stage == ReminderStage.COMMANDER and reminder.recipient == org.cora
    assert [m.to for m in mail.outbox] == [[org.cora.email]]
    assert "Post a status update" in mail.outbox[0].subject
    event = overdue.timeline.get(kind=TimelineKind.UPDATE_REMINDER)
    assert "Reminded Cora Diaz" in event.message


def test_a_missed_update_escalates_to_the_backup_then_the_executive(overdue, org, settings):
    step = timedelta(minutes=settings.BEACON_ESCALATION_STEP_MINUTES)
    remind(overdue, timedelta(0))
    backup = remind(overdue, step)
    executive = remind(overdue, 2 * step)
    assert (backup.stage, backup.recipient) == (ReminderStage.BACKUP, org.pat)
    assert (executive.stage, executive.recipient) == (ReminderStage.EXECUTIVE, org.erin)
    assert remind(overdue, 3 * step) is None
    escalations = overdue.timeline.filter(kind=TimelineKind.UPDATE_ESCALATED)
    assert [e.after["recipient"] for e in escalations] == [org.pat.pk, org.erin.pk]


def test_an_unavailable_backup_is_skipped(overdue, org, settings):
    away(org.pat)
    step = timedelta(minutes=settings.BEACON_ESCALATION_STEP_MINUTES)
    reminder = remind(overdue, step)
    # Cora is the commander being escalated from, Pat is away: nobody else commands.
    assert reminder.stage == ReminderStage.BACKUP and reminder.recipient == org.erin


def test_a_posted_update_resets_the_clock(overdue, org):
    remind(overdue, timedelta(0))
    services.incident_post_update(incident=overdue, actor=org.cora, message="Mitigating")
    overdue.refresh_from_db()
    assert remind(overdue, -timedelta(minutes=1)) is None
    assert remind(overdue, timedelta(0)).due_at == overdue.next_update_due
    assert UpdateReminder.objects.filter(incident=overdue).count() == 2


def test_resolution_stops_reminders(overdue, org):
    due = overdue.next_update_due
    overdue.criteria.update(met_at=timezone.now(), met_by=org.cora)
    services.incident_resolve(incident=overdue, actor=org.cora, resolution="Rolled back")
    assert incident_remind_update(incident_id=overdue.pk, now=due + timedelta(hours=1)) is None
    assert reminders_due(now=due + timedelta(hours=1)) == []


def test_drill_reminders_go_to_the_drill_channel(declare, org, fake_slack):
    from notifications.models import Delivery

    incident = declare(actor=org.cora, commander=org.cora, is_drill=True)
    incident.update_reminders = True
    incident.save(update_fields=["update_reminders"])
    remind(incident, timedelta(0))
    assert set(Delivery.objects.values_list("address", flat=True)) == {"beacon-drills"}


def test_the_periodic_task_reminds_every_due_incident(overdue, org, monkeypatch):
    from incidents import tasks

    monkeypatch.setattr(
        "incidents.services.reminders.timezone.now",
        lambda: overdue.next_update_due + timedelta(seconds=1),
    )
    assert tasks.send_update_reminders() == 1
    assert tasks.send_update_reminders() == 0
