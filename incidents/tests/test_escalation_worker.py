"""The acknowledgement escalation with the real thing: celery beat on the database schedule and
two prefork workers on Redis, against the test database. Instead of waiting minutes, the test
moves the incident's declaration or due time back in the database, as an outside tester would:
a missed acknowledgement pages down the chain until acknowledged, and starts over from the top
once the last stage and the repeat interval have passed; an unavailable commander is skipped for
the delegate standing in, with the reason; after a 15-minute outage a missed update reaches
everyone due, in order, once, skipping the unavailable, until an update.

Beat publishes the escalation task every second and the two workers run it concurrently, so
each stage being sent once here is the unique key and the row lock at work; so is the last
test, with runs started at the same instant on PostgreSQL.
"""

import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.db.models import F
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from config.celery_routes import PERIODIC_TASKS
from incidents import services
from incidents.models import EscalationNotice, Incident, TimelineKind
from incidents.services.escalation import incident_escalate
from incidents.tests.beat_process import BeatProcess
from incidents.tests.escalation_setup import (
    SEV1_ACK_CHAIN,
    effective_policy,
    escalation_org,
    sev1_paging_policy,
)
from notifications.models import Delivery, DeliveryStatus, Notification
from notifications.tests.brokers import celery_broker, redis_or_skip
from notifications.tests.worker_process import WorkerProcess, database_url, lines_with
from people.tests.setup import away
from policy.models import EscalationKind

REDIS_URL = os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")
ESCALATION_TASK = "status-update reminders and escalation"
BATCH = 2


@pytest.fixture
def key_prefix(transactional_db, settings):
    client = redis_or_skip(REDIS_URL)
    prefix = f"beacon-escalation-{uuid.uuid4().hex}:"
    options = {**settings.BROKER_REDIS_TRANSPORT_OPTIONS, "global_keyprefix": prefix}
    with celery_broker(REDIS_URL, task_always_eager=False, broker_transport_options=options):
        yield prefix
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


@pytest.fixture
def beat_and_workers(key_prefix):
    """The deploy's periodic tasks, the escalation every second; beat and two workers."""
    call_command("setup_periodic_tasks", verbosity=0)
    every_second, _ = IntervalSchedule.objects.get_or_create(
        every=1, period=IntervalSchedule.SECONDS
    )
    PeriodicTask.objects.filter(name=ESCALATION_TASK).update(interval=every_second)
    assert PERIODIC_TASKS[ESCALATION_TASK][0] == "incidents.tasks.send_update_reminders"
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(connection.settings_dict),
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "BEACON_ESCALATION_BATCH": str(BATCH),  # a few incidents make several batches
    }
    processes = [
        WorkerProcess(env, key_prefix=key_prefix, concurrency=2).start(),
        BeatProcess(env, key_prefix=key_prefix).start(),
    ]
    try:
        for process in processes:
            process.wait_ready()
        yield processes
    finally:
        logs = [process.log() for process in processes]
        for process in processes:
            process.stop()
    for log in logs:
        assert not lines_with(log, ["ERROR/"]), lines_with(log, ["ERROR/"])


def notices(incident):
    return [
        (n.round, n.stage, sorted(u.username for u in n.recipients.all()))
        for n in EscalationNotice.objects.filter(
            incident=incident, kind=EscalationKind.ACKNOWLEDGE
        ).order_by("round", "stage")
    ]


def wait_until(condition, processes, timeout=30):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("timed out; logs:\n" + "\n".join(p.log()[-2000:] for p in processes))
        time.sleep(0.2)


def wait_for_ticks(processes, count):
    """Until `count` ticks begun after this call have run to the end (two more than that finish
    first: the two workers may each have had one under way). A tick that finds nothing due
    queues no batch, so ticks are counted, not batches."""
    worker = processes[0]

    def finished():
        return sum(
            "send_update_reminders[" in line and "succeeded" in line
            for line in worker.log().splitlines()
        )

    target = finished() + count + 2
    wait_until(lambda: finished() >= target, processes)


def pages(incident):
    notifications = Notification.objects.filter(incident=incident, event="page")
    return [n.people for n in notifications.order_by("pk")]


def page_sent(notification):
    return Delivery.objects.filter(notification=notification, status=DeliveryStatus.SENT).exists()


def move_declaration_back(incident, *, minutes):
    incident.declared_at -= timedelta(minutes=minutes)
    Incident.objects.filter(pk=incident.pk).update(declared_at=incident.declared_at)


def update_notices(incident):
    return [
        (n.round, n.stage, [u.username for u in n.recipients.all()])
        for n in EscalationNotice.objects.filter(
            incident=incident, kind=EscalationKind.UPDATE
        ).order_by("round", "stage")
    ]


def move_update_due_back(incident, *, minutes):
    """As if `minutes` had passed since: the due time and the notices already sent for it (they
    are keyed by it), under the incident's row lock, so that a tick sees all of it or none."""
    shift = timedelta(minutes=minutes)
    with transaction.atomic():
        due = Incident.objects.select_for_update().get(pk=incident.pk).next_update_due
        EscalationNotice.objects.filter(
            incident=incident, kind=EscalationKind.UPDATE, anchor=due
        ).update(
            anchor=F("anchor") - shift, due_at=F("due_at") - shift, sent_at=F("sent_at") - shift
        )
        Incident.objects.filter(pk=incident.pk).update(next_update_due=due - shift)


def test_a_missed_acknowledgement_pages_the_next_delegate_and_acknowledging_stops_it(
    beat_and_workers, declare, sev1, sev2
):
    org = escalation_org()
    effective_policy(
        org.cora,
        {sev1: ([org.comms], {"ack_chain": SEV1_ACK_CHAIN, "ack_rounds": 1}), sev2: ([], {})},
    )
    incident = declare(actor=org.cora, commander=org.cora, severity=sev1)

    # At declaration: the commander and the communications lead.
    wait_until(lambda: len(notices(incident)) == 2, beat_and_workers)
    assert notices(incident) == [(1, 1, ["cora"]), (1, 2, ["pat"])]

    # Five minutes later (the target): the commander's backup, Pat, is paged.
    move_declaration_back(incident, minutes=5)
    wait_until(lambda: len(notices(incident)) == 3, beat_and_workers)
    assert notices(incident)[-1] == (1, 3, ["pat"])

    # Ten minutes: the next delegate by rank, Nina, paged by the paging methods and sent.
    move_declaration_back(incident, minutes=5)
    wait_until(lambda: len(notices(incident)) == 4, beat_and_workers)
    assert notices(incident)[-1] == (1, 4, ["nina"])
    page = Notification.objects.filter(incident=incident, event="page", people=[org.nina.pk])
    wait_until(
        lambda: Delivery.objects.filter(notification__in=page, status=DeliveryStatus.SENT).exists(),
        beat_and_workers,
    )

    # Acknowledged: nothing more, however long beat goes on ticking.
    services.incident_acknowledge(incident=incident, actor=org.nina)
    move_declaration_back(incident, minutes=30)
    time.sleep(3)  # three ticks of beat
    assert len(notices(incident)) == 4
    assert incident.timeline.filter(kind=TimelineKind.PAGED).count() == 4


def test_the_acknowledgement_escalation_repeats_from_the_top_after_its_last_stage(
    beat_and_workers, declare, sev1, sev2
):
    org = escalation_org()
    sev1_paging_policy(org, sev1, sev2)  # 2 rounds; round 2 starts 5 min after the last (15)
    incident = declare(actor=org.cora, commander=org.cora, severity=sev1)
    wait_until(lambda: len(notices(incident)) == 2, beat_and_workers)

    # Fifteen minutes unacknowledged: the rest of round 1, down to the executive.
    move_declaration_back(incident, minutes=15)
    wait_until(lambda: len(notices(incident)) == 5, beat_and_workers)

    # Twenty: round 2 from the top, the commander and the communications lead again, once.
    move_declaration_back(incident, minutes=5)
    wait_until(lambda: len(notices(incident)) == 7, beat_and_workers)
    wait_for_ticks(beat_and_workers, 2)
    assert notices(incident) == [
        (1, 1, ["cora"]),
        (1, 2, ["pat"]),
        (1, 3, ["pat"]),
        (1, 4, ["nina"]),
        (1, 5, ["erin"]),
        (2, 1, ["cora"]),
        (2, 2, ["pat"]),
    ]
    cora, pat, nina, erin = (org.cora.pk, org.pat.pk, org.nina.pk, org.erin.pk)
    assert pages(incident) == [[cora], [pat], [pat], [nina], [erin], [cora], [pat]]
    second = EscalationNotice.objects.get(incident=incident, round=2, stage=1)
    assert second.due_at == incident.declared_at + timedelta(minutes=20)
    paged = incident.timeline.filter(kind=TimelineKind.PAGED).order_by("pk")
    assert [entry.message.split(":")[0] for entry in paged][5:] == [
        "Acknowledgement escalation, round 2 of 2, stage 1",
        "Acknowledgement escalation, round 2 of 2, stage 2",
    ]
    assert paged[5].message.startswith(
        "Acknowledgement escalation, round 2 of 2, stage 1: paged Cora Diaz (the commander) by "
    )
    again = Notification.objects.filter(incident=incident, event="page", people=[cora]).latest("pk")
    wait_until(lambda: page_sent(again), beat_and_workers)


def test_the_update_escalation_repeats_from_the_top_after_its_last_stage(
    beat_and_workers, declare, sev1, sev2, settings, django_capture_on_commit_callbacks
):
    org = escalation_org()
    effective_policy(org.cora, {sev1: ([], {}), sev2: ([], {})})  # repeat 10 min after the last
    with django_capture_on_commit_callbacks(execute=True):  # the plan schedules the reminders
        incident = declare(actor=org.cora, commander=org.cora)
    step = timedelta(minutes=settings.BEACON_ESCALATION_STEP_MINUTES)

    # No update since it was due two steps ago: round 1, down to the executive.
    Incident.objects.filter(pk=incident.pk).update(next_update_due=timezone.now() - 2 * step)
    wait_until(lambda: len(update_notices(incident)) == 3, beat_and_workers)

    # Ten minutes later: round 2 from the top, the commander again, once.
    move_update_due_back(incident, minutes=10)
    wait_until(lambda: len(update_notices(incident)) == 4, beat_and_workers)
    wait_for_ticks(beat_and_workers, 2)
    assert update_notices(incident) == [
        (1, 1, ["cora"]),
        (1, 2, ["pat"]),
        (1, 3, ["erin"]),
        (2, 1, ["cora"]),
    ]
    told = Notification.objects.filter(incident=incident).exclude(event="declared")
    assert [(n.event, n.people) for n in told.order_by("pk")] == [
        ("update_reminder", [org.cora.pk]),
        ("update_escalation", [org.pat.pk]),
        ("update_escalation", [org.erin.pk]),
        ("update_escalation", [org.cora.pk]),
    ]
    last = incident.timeline.filter(kind=TimelineKind.UPDATE_ESCALATED).latest("pk")
    assert "Status-update escalation, round 2, stage 1, told Cora Diaz (the commander)" in (
        last.message
    )


def test_an_unavailable_commander_is_skipped_for_the_delegate_standing_in_with_the_reason(
    beat_and_workers, declare, sev1, sev2
):
    org = escalation_org()
    sev1_paging_policy(org, sev1, sev2)
    away(org.cora, reason="sick")  # before the declaration: beat pages as soon as it is made
    incident = declare(actor=org.cora, commander=org.cora, severity=sev1)

    # Pat stands in for Cora, and is the communications lead too: paged once for both stages.
    wait_until(lambda: len(notices(incident)) == 2, beat_and_workers)
    assert notices(incident) == [(1, 1, ["pat"]), (1, 2, ["pat"])]
    wait_for_ticks(beat_and_workers, 2)
    assert pages(incident) == [[org.pat.pk]]
    first = Notification.objects.get(incident=incident, event="page")
    wait_until(lambda: page_sent(first), beat_and_workers)
    [skip] = incident.timeline.filter(kind=TimelineKind.ESCALATION_SKIPPED)
    assert skip.message.startswith(
        "Acknowledgement escalation, round 1 of 2, stage 1 (the commander): skipped Cora Diaz, "
        "who is unavailable (sick) until "
    )
    assert skip.after["skipped"] == org.cora.pk
    assert (
        EscalationNotice.objects.get(incident=incident, stage=1).skipped[0]["user"] == org.cora.pk
    )


def test_catch_up_after_a_15_minute_outage_tells_everyone_due_in_order_and_an_update_stops_it(
    beat_and_workers, declare, sev1, sev2, django_capture_on_commit_callbacks
):
    org = escalation_org()
    effective_policy(org.cora, {sev1: ([], {}), sev2: ([], {})})
    with django_capture_on_commit_callbacks(execute=True):  # the plan schedules the reminders
        incident = declare(actor=org.cora, commander=org.cora)
    away(org.pat)  # the backup: skipped for Nina, with the reason

    # Nothing ran for the 15 minutes since the update was due.
    due = timezone.now() - timedelta(minutes=15)
    Incident.objects.filter(pk=incident.pk).update(next_update_due=due)

    def updates():
        return [
            (n.stage, [u.username for u in n.recipients.all()])
            for n in EscalationNotice.objects.filter(
                incident=incident, kind=EscalationKind.UPDATE
            ).order_by("pk")
        ]

    wait_until(lambda: len(updates()) == 2, beat_and_workers)
    time.sleep(2)  # two more ticks: nobody is told again
    assert updates() == [(1, ["cora"]), (2, ["nina"])]
    told = Notification.objects.filter(incident=incident).exclude(event="declared")
    assert [(n.event, n.people) for n in told.order_by("pk")] == [
        ("update_reminder", [org.cora.pk]),
        ("update_escalation", [org.nina.pk]),
    ]
    [skip] = incident.timeline.filter(kind=TimelineKind.ESCALATION_SKIPPED)
    assert "skipped Pat Lee, who is unavailable (holiday)" in skip.message

    services.incident_post_update(incident=incident, actor=org.cora, message="Rolled back")
    time.sleep(2)
    assert len(updates()) == 2


def test_the_tick_fans_the_due_incidents_out_in_batches_the_workers_share(
    beat_and_workers, declare, sev1, sev2, django_capture_on_commit_callbacks
):
    org = escalation_org()
    effective_policy(org.cora, {sev1: ([], {}), sev2: ([], {})})
    with django_capture_on_commit_callbacks(execute=True):  # the plan schedules the reminders
        incidents = [declare(actor=org.cora, commander=org.cora) for _n in range(2 * BATCH + 1)]
    Incident.objects.filter(pk__in=[i.pk for i in incidents]).update(
        next_update_due=timezone.now() - timedelta(seconds=1)
    )
    reminders = EscalationNotice.objects.filter(kind=EscalationKind.UPDATE, stage=1)

    wait_until(lambda: reminders.count() == len(incidents), beat_and_workers)
    time.sleep(2)  # two more ticks: each reminder once
    assert sorted(reminders.values_list("incident", flat=True)) == sorted(i.pk for i in incidents)
    log = beat_and_workers[0].log().splitlines()
    batches = [line for line in log if "escalate_batch[" in line and "received" in line]
    assert len(batches) >= 3, "\n".join(log[-40:])  # the first tick's, at least
    reminded = Notification.objects.filter(event="update_reminder", people=[org.cora.pk])
    assert sorted(reminded.values_list("incident", flat=True)) == sorted(i.pk for i in incidents)


@pytest.mark.django_db(transaction=True)
def test_runs_started_at_once_send_each_stage_once(declare, sev1, sev2):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent row locks need PostgreSQL (CI runs this test on it)")
    org = escalation_org()
    effective_policy(org.cora, {sev1: ([org.comms], {"ack_chain": SEV1_ACK_CHAIN}), sev2: ([], {})})
    incident = declare(actor=org.cora, commander=org.cora, severity=sev1)
    now = incident.declared_at + timedelta(minutes=15)
    start = threading.Barrier(4)

    def run(_number):
        start.wait()
        try:
            return len(incident_escalate(incident_id=incident.pk, now=now))
        finally:
            connections.close_all()

    with ThreadPoolExecutor(4) as pool:
        counts = sorted(pool.map(run, range(4)))

    assert counts == [0, 0, 0, 3]  # the stages at 0 went with the response plan
    assert notices(incident) == [
        (1, 1, ["cora"]),
        (1, 2, ["pat"]),
        (1, 3, ["pat"]),
        (1, 4, ["nina"]),
        (1, 5, ["erin"]),
    ]
    pages = Notification.objects.filter(incident=incident, event="page")
    assert sorted(p.people[0] for p in pages) == sorted(  # Pat at 0, and as the backup at 5
        [org.cora.pk, org.pat.pk, org.pat.pk, org.nina.pk, org.erin.pk]
    )
