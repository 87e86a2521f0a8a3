"""Both escalations against a controlled clock: the acknowledgement chain pages in order,
repeats, ends and is stopped by an acknowledgement; the status-update chain reminds, escalates,
repeats, catches up without skipping anyone and is stopped by an update; unavailable people are
skipped with their reasons; every stage is sent once."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from incidents import access, services, tasks
from incidents.models import EscalationNotice, TimelineKind
from incidents.selectors_escalation import escalation_state
from incidents.services import escalation
from incidents.services.escalation import escalations_due, incident_escalate
from incidents.tests.escalation_setup import escalation_org, sev1_paging_policy
from notifications.models import Notification
from notifications.services import notify_people
from people.tests.setup import away
from policy.models import EscalationKind

pytestmark = pytest.mark.django_db
ACK, UPDATE = EscalationKind.ACKNOWLEDGE, EscalationKind.UPDATE
MINUTE = timedelta(minutes=1)


@pytest.fixture
def org():
    return escalation_org()


@pytest.fixture
def policy(org, sev1, sev2):
    return sev1_paging_policy(org, sev1, sev2)


@pytest.fixture
def declared(declare, org, policy, django_capture_on_commit_callbacks):
    """Declare as Cora, commanding, and run the response plan (it schedules the reminders)."""

    def _declared(**fields):
        with django_capture_on_commit_callbacks(execute=True):
            incident = declare(actor=org.cora, commander=org.cora, **fields)
        incident.refresh_from_db()
        assert incident.update_reminders
        return incident

    return _declared


@pytest.fixture
def sev1_incident(declared, sev1):
    return declared(severity=sev1)


@pytest.fixture
def sev2_incident(declared):
    return declared()


def at_declaration(incident, minutes):
    return incident_escalate(incident_id=incident.pk, now=incident.declared_at + minutes * MINUTE)


def at_due(incident, minutes):
    incident.refresh_from_db()
    return incident_escalate(
        incident_id=incident.pk, now=incident.next_update_due + minutes * MINUTE
    )


def sent(incident, kind):
    return [
        (n.round, n.stage, sorted(u.username for u in n.recipients.all()))
        for n in EscalationNotice.objects.filter(incident=incident, kind=kind).order_by(
            "round", "stage"
        )
    ]


def pages_to(incident):
    return [
        sorted(notification.people)
        for notification in Notification.objects.filter(incident=incident, event="page").order_by(
            "pk"
        )
    ]


def messages(incident, kind):
    return list(
        incident.timeline.filter(kind=kind).order_by("pk").values_list("message", flat=True)
    )


# --- The acknowledgement escalation ---------------------------------------------------------


def test_declaration_pages_the_commander_and_the_paged_functions_by_the_paging_methods(
    sev1_incident, org, settings
):
    at_declaration(sev1_incident, 0)
    assert sent(sev1_incident, ACK) == [(1, 1, ["cora"]), (1, 2, ["pat"])]
    pages = Notification.objects.filter(incident=sev1_incident, event="page").order_by("pk")
    assert [p.people for p in pages] == [[org.cora.pk], [org.pat.pk]]
    assert [m["channel"] for m in pages[0].methods] == settings.BEACON_PAGE_METHODS
    assert messages(sev1_incident, TimelineKind.PAGED)[0] == (
        "Acknowledgement escalation, round 1 of 2, stage 1: paged Cora Diaz (the commander) by "
        "sms, voice, slack, email."
    )


def test_a_missed_acknowledgement_pages_the_next_delegate_then_the_next_then_the_executive(
    sev1_incident, org
):
    at_declaration(sev1_incident, 0)
    assert at_declaration(sev1_incident, 4.9) == []  # the target has not passed
    at_declaration(sev1_incident, 5)
    assert sent(sev1_incident, ACK)[-1] == (1, 3, ["pat"])  # Cora commands: Pat is next
    at_declaration(sev1_incident, 10)
    assert sent(sev1_incident, ACK)[-1] == (1, 4, ["nina"])  # then the next by rank
    at_declaration(sev1_incident, 15)
    assert sent(sev1_incident, ACK)[-1] == (1, 5, ["erin"])
    assert pages_to(sev1_incident)[2:] == [[org.pat.pk], [org.nina.pk], [org.erin.pk]]


def test_the_acknowledgement_escalation_repeats_each_round_then_says_it_ends(sev1_incident):
    for minute in range(0, 60):
        at_declaration(sev1_incident, minute)
    rounds = sent(sev1_incident, ACK)
    # Round 2 starts 5 minutes after round 1's last stage (at 15): at 20.
    assert [(r, s) for r, s, _people in rounds] == [(r, s) for r in (1, 2) for s in range(1, 6)]
    second = EscalationNotice.objects.get(incident=sev1_incident, kind=ACK, round=2, stage=1)
    assert second.due_at == sev1_incident.declared_at + 20 * MINUTE
    paged = messages(sev1_incident, TimelineKind.PAGED)
    assert paged[5].startswith("Acknowledgement escalation, round 2 of 2, stage 1:")
    assert paged[-1].endswith("That was its last round: nobody is paged again for it.")


def test_acknowledging_stops_the_acknowledgement_escalation_only(sev1_incident, org):
    at_declaration(sev1_incident, 0)
    services.incident_acknowledge(incident=sev1_incident, actor=org.cora)
    assert at_declaration(sev1_incident, 5) == []
    assert escalations_due(now=sev1_incident.declared_at + 5 * MINUTE) == []
    assert at_due(sev1_incident, 0)[0].kind == UPDATE  # updates are still asked for
    assert len(sent(sev1_incident, ACK)) == 2


def test_a_level_that_pages_nobody_has_no_acknowledgement_escalation(sev2_incident):
    assert at_declaration(sev2_incident, 29) == []  # its first update is due at 30
    assert sent(sev2_incident, ACK) == []


def test_a_level_that_pages_without_a_chain_takes_the_default_one(
    declared, org, sev1, policy, settings
):
    policy.levels.filter(severity=sev1).update(ack_chain=[])
    incident = declared(severity=sev1)
    at_declaration(incident, 5 + settings.BEACON_ESCALATION_STEP_MINUTES)
    # Commander and communications lead at 0, the backup at the target, the executive a step on.
    assert sent(incident, ACK) == [
        (1, 1, ["cora"]),
        (1, 2, ["pat"]),
        (1, 3, ["pat"]),
        (1, 4, ["erin"]),
    ]
    # Pat at 0 as the communications lead, and again at the target as the commander's backup.
    assert pages_to(incident) == [[org.cora.pk], [org.pat.pk], [org.pat.pk], [org.erin.pk]]


# --- The status-update escalation -----------------------------------------------------------


def test_a_missed_update_escalates_in_order_and_an_update_stops_it(sev2_incident, org, settings):
    step = settings.BEACON_ESCALATION_STEP_MINUTES
    assert at_due(sev2_incident, -0.1) == []
    at_due(sev2_incident, 0)
    at_due(sev2_incident, step)
    at_due(sev2_incident, 2 * step)
    assert sent(sev2_incident, UPDATE) == [(1, 1, ["cora"]), (1, 2, ["pat"]), (1, 3, ["erin"])]
    reminders = Notification.objects.filter(incident=sev2_incident).exclude(event="declared")
    # SEV2 pages nobody: the direct methods, as reminders and escalations.
    assert [n.event for n in reminders.order_by("pk")] == [
        "update_reminder",
        "update_escalation",
        "update_escalation",
    ]
    assert messages(sev2_incident, TimelineKind.UPDATE_REMINDER) == [
        f"Reminded Cora Diaz to post a status update (due "
        f"{sev2_incident.next_update_due:%H:%M} UTC)."
    ]
    services.incident_post_update(incident=sev2_incident, actor=org.cora, message="Rolled back")
    assert at_due(sev2_incident, -0.1) == []
    assert [n.stage for n in at_due(sev2_incident, 0)] == [1]  # a new due time starts over


def test_the_update_escalation_repeats_after_its_last_stage(sev2_incident, settings):
    step = settings.BEACON_ESCALATION_STEP_MINUTES
    for minute in range(0, 2 * step + 10 + 1):
        at_due(sev2_incident, minute)
    assert [(r, s) for r, s, _p in sent(sev2_incident, UPDATE)] == [
        (1, 1),
        (1, 2),
        (1, 3),
        (2, 1),  # 10 minutes (update_repeat_minutes) after the executive
    ]


def test_a_severity_that_pages_escalates_missed_updates_by_pages(sev1_incident, org):
    services.incident_acknowledge(incident=sev1_incident, actor=org.cora)
    at_due(sev1_incident, 0)
    last = Notification.objects.filter(incident=sev1_incident).latest("pk")
    assert (last.event, last.people) == ("page", [org.cora.pk])


def test_catch_up_after_a_15_minute_outage_tells_everyone_due_in_order_once(sev2_incident):
    notices = at_due(sev2_incident, 15)  # nothing ran from the due time until now
    assert [(n.stage, [u.username for u in n.recipients.all()]) for n in notices] == [
        (1, ["cora"]),
        (2, ["pat"]),
    ]
    assert at_due(sev2_incident, 15) == []
    updates = Notification.objects.filter(incident=sev2_incident).exclude(event="declared")
    assert [n.event for n in updates.order_by("pk")] == ["update_reminder", "update_escalation"]


def test_an_outage_longer_than_rounds_sends_each_stage_once_and_says_so(sev2_incident, settings):
    round_minutes = 3 * settings.BEACON_ESCALATION_STEP_MINUTES  # 20 + 10 after the executive
    notices = at_due(sev2_incident, 2 * round_minutes + 1)  # round 3 has begun
    assert [(n.round, n.stage) for n in notices] == [(2, 2), (2, 3), (3, 1)]
    skipped = messages(sev2_incident, TimelineKind.ESCALATION_SKIPPED)
    assert skipped == [
        "Status-update escalation: 4 stages came due while escalations were not running and were "
        "overtaken by later rounds; each stage is sent once now, in order."
    ]
    assert at_due(sev2_incident, 2 * round_minutes + 1) == []


def test_an_unavailable_backup_is_skipped_with_the_reason(sev2_incident, org, settings):
    away(org.pat)
    at_due(sev2_incident, settings.BEACON_ESCALATION_STEP_MINUTES)
    assert sent(sev2_incident, UPDATE)[1] == (1, 2, ["nina"])
    [skip] = messages(sev2_incident, TimelineKind.ESCALATION_SKIPPED)
    assert skip.startswith(
        "Status-update escalation, round 1, stage 2 (the commander's backup): skipped Pat Lee, "
        "who is unavailable (holiday) until "
    )
    notice = EscalationNotice.objects.get(incident=sev2_incident, stage=2)
    assert notice.skipped[0]["user"] == org.pat.pk


def test_an_unavailable_commander_is_skipped_with_the_reason(declared, sev1, org):
    away(org.cora, reason="sick")
    sev1_incident = declared(severity=sev1)
    at_declaration(sev1_incident, 5)
    # Pat stands in for Cora and is the communications lead: paged once at 0; at the target
    # again, as her backup.
    assert sent(sev1_incident, ACK)[:3] == [(1, 1, ["pat"]), (1, 2, ["pat"]), (1, 3, ["pat"])]
    skips = messages(sev1_incident, TimelineKind.ESCALATION_SKIPPED)
    assert skips[0].startswith(
        "Acknowledgement escalation, round 1 of 2, stage 1 (the commander): skipped Cora Diaz, "
        "who is unavailable (sick) until "
    )
    assert pages_to(sev1_incident) == [[org.pat.pk], [org.pat.pk]]  # once for the two at 0


def test_an_unavailable_commander_is_not_reminded_first(sev2_incident, org):
    away(org.cora)
    at_due(sev2_incident, 0)
    assert sent(sev2_incident, UPDATE) == [(1, 1, ["pat"])]
    [skip] = messages(sev2_incident, TimelineKind.ESCALATION_SKIPPED)
    assert skip.startswith(
        "Status-update escalation, round 1, stage 1 (the commander): skipped Cora Diaz, who is "
        "unavailable (holiday) until "
    )
    assert Notification.objects.filter(incident=sev2_incident).latest("pk").people == [org.pat.pk]


def test_a_stage_with_nobody_left_says_so(sev1_incident, org):
    org.nina.is_active = False
    org.nina.save(update_fields=["is_active"])
    at_declaration(sev1_incident, 10)  # Pat at 5; at 10 nobody is left below him
    assert sent(sev1_incident, ACK)[3] == (1, 4, [])
    assert messages(sev1_incident, TimelineKind.ESCALATION_SKIPPED) == [
        "Acknowledgement escalation, round 1 of 2, stage 4 (the delegate after them): skipped "
        "Nina Park, who has no active account."
    ]
    assert messages(sev1_incident, TimelineKind.PAGED)[-1] == (
        "Acknowledgement escalation, round 1 of 2, stage 4 (the delegate after them): nobody "
        "could be paged."
    )


def test_resolution_stops_both(sev1_incident, org):
    due = sev1_incident.next_update_due
    sev1_incident.criteria.update(met_at=timezone.now(), met_by=org.cora)
    services.incident_resolve(incident=sev1_incident, actor=org.cora, resolution="Rolled back")
    assert incident_escalate(incident_id=sev1_incident.pk, now=due + 60 * MINUTE) == []
    assert escalations_due(now=due + 60 * MINUTE) == []


# --- What the incident page and the API show ---------------------------------------------


def test_the_state_says_the_stage_reached_who_is_next_and_when(sev1_incident, org):
    at_declaration(sev1_incident, 5)
    ack, update = escalation_state(sev1_incident)
    assert ack.description == (
        "at 0 min page the commander; at 0 min the functions the level pages; at 5 min the "
        "commander's backup; at 10 min the delegate after them; at 15 min the executive; repeat "
        "5 min after the last stage, 2 rounds"
    )
    assert ack.stage_reached == (1, 3) and list(ack.rounds) == [1]
    assert (ack.next_at, ack.next_who) == (
        sev1_incident.declared_at + 10 * MINUTE,
        "the delegate after them",
    )
    assert (update.next_at, update.next_who) == (sev1_incident.next_update_due, "the commander")

    services.incident_acknowledge(incident=sev1_incident, actor=org.pat)
    sev1_incident.refresh_from_db()
    ack, _update = escalation_state(sev1_incident)
    assert ack.stopped.startswith("acknowledged at ") and ack.next_at is None


def test_the_state_says_when_the_rounds_are_done(sev1_incident):
    at_declaration(sev1_incident, 40)
    ack = escalation_state(sev1_incident)[0]
    assert ack.stage_reached == (2, 5)
    assert ack.stopped == "its 2 rounds are done"


# --- Once, whatever runs twice --------------------------------------------------------------


def test_duplicate_ticks_send_each_stage_once(sev1_incident, org):
    for _tick in range(3):
        at_declaration(sev1_incident, 5)
    assert len(sent(sev1_incident, ACK)) == 3
    assert pages_to(sev1_incident) == [[org.cora.pk], [org.pat.pk], [org.pat.pk]]  # 0, 0 and 5


def test_the_stages_at_declaration_go_out_with_the_response_plan_before_any_tick(
    sev1_incident, org
):
    """Paged at declaration, not at the next tick (up to a minute later)."""
    assert sent(sev1_incident, ACK) == [(1, 1, ["cora"]), (1, 2, ["pat"])]
    assert pages_to(sev1_incident) == [[org.cora.pk], [org.pat.pk]]
    assert at_declaration(sev1_incident, 0.5) == []  # the tick finds them sent


def test_the_periodic_task_escalates_on_the_clock(sev1_incident, org):
    with time_machine.travel(sev1_incident.declared_at + 5 * MINUTE, tick=False):
        assert tasks.send_update_reminders() == 1  # one batch
        assert len(sent(sev1_incident, ACK)) == 3  # Cora, Pat (comms), Pat (backup)
        tasks.send_update_reminders()
        assert len(sent(sev1_incident, ACK)) == 3
    with time_machine.travel(sev1_incident.declared_at + 10 * MINUTE, tick=False):
        tasks.send_update_reminders()
    assert sent(sev1_incident, ACK)[-1] == (1, 4, ["nina"])


def test_the_periodic_task_queues_the_due_incidents_a_batch_at_a_time(
    declared, monkeypatch, settings, django_assert_num_queries
):
    incidents = [declared() for _n in range(5)]
    queued = []
    settings.BEACON_ESCALATION_BATCH = 2
    monkeypatch.setattr(tasks, "try_publish", lambda task, args: queued.append(args) or True)
    due = max(incident.next_update_due for incident in incidents)
    with (
        time_machine.travel(due, tick=False),
        django_assert_num_queries(2),  # the due ids and their queued mark, whatever their number
    ):
        assert tasks.send_update_reminders() == 3
    assert sorted(pk for (batch,) in queued for pk in batch) == sorted(i.pk for i in incidents)
    assert [len(batch) for (batch,) in queued] == [2, 2, 1]


def test_a_batch_the_broker_refuses_is_left_to_the_next_tick(sev1_incident, monkeypatch):
    monkeypatch.setattr(tasks, "try_publish", lambda task, args: False)
    with time_machine.travel(sev1_incident.declared_at + 5 * MINUTE, tick=False):
        assert tasks.send_update_reminders() == 0
        assert escalation.escalations_due() == [sev1_incident.pk]


def test_one_failing_incident_does_not_hold_up_the_others(sev1_incident, declared, monkeypatch):
    """The batch fails as a whole, then runs one incident at a time: the others are sent."""
    other = declared()
    real = escalation._escalate

    def failing_for_sev1(incident, *args):
        if incident.pk == sev1_incident.pk:
            raise RuntimeError("a bad chain")
        return real(incident, *args)

    monkeypatch.setattr(escalation, "_escalate", failing_for_sev1)
    before = sent(sev1_incident, ACK)  # the stages at 0, sent with the response plan
    with pytest.raises(escalation.EscalationFailed, match=str(sev1_incident.pk)):
        escalation.escalate_due(now=other.next_update_due)
    assert sent(other, UPDATE) == [(1, 1, ["cora"])]
    assert sent(sev1_incident, ACK) == before and sent(sev1_incident, UPDATE) == []


def test_a_paged_executive_with_a_stakeholders_rights_may_acknowledge(org, sev2_incident):
    """Whoever is woken can say so: the page is all that lets them act on the incident."""
    erin, incident = org.erin, sev2_incident
    assert not access.can_act(erin, incident)
    with pytest.raises(PermissionDenied):
        services.incident_acknowledge(incident=incident, actor=erin)
    notify_people(people=[erin], event="page", context={"headline": "Wake up"}, about=incident)
    services.incident_acknowledge(incident=incident, actor=erin)
    incident.refresh_from_db()
    assert incident.acknowledged_by == erin
    with pytest.raises(PermissionDenied):  # the page lets them acknowledge, nothing more
        services.incident_post_update(incident=incident, actor=erin, message="All good")
