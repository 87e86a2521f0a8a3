"""A poison delivery under a real Celery worker: its send kills the worker's pool process every
time. It is attempted at most BEACON_DELIVERY_MAX_ATTEMPTS times, then given up and failed
over; the deliveries of its batch, lost with it once, go out one per task after."""

import contextlib
import os
import signal
from pathlib import Path

import pytest
from django.db import connection

from incidents.models import TimelineKind
from incidents.services.response_plan import response_plan_run
from notifications.models import Delivery, DeliveryStatus
from notifications.services import publish
from notifications.testing import FakeWebhookReceiver
from notifications.tests.test_faults import (  # noqa: F401 - fixtures
    GRACE_SECONDS,
    LEASE_SECONDS,
    all_sent,
    backup_receiver,
    broker,
    commander,
    declare,
    dying_before_publish,
    wait_until,
    webhook_messages,
    webhook_plan,
)
from notifications.tests.worker_process import WorkerProcess, database_url

MAX_ATTEMPTS = 3


def pool_processes(parent):
    """Pids of a worker's pool processes (its children)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError):
            _state, parent_pid = stat.read_text().rpartition(")")[2].split()[:2]
            if int(parent_pid) == parent:
                children.append(int(stat.parent.name))
    return children


@pytest.fixture
def worker(broker, settings):  # noqa: F811
    """One worker with one pool process, so that the process sending is the one killed."""
    settings.BEACON_DELIVERY_MAX_ATTEMPTS = MAX_ATTEMPTS
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(connection.settings_dict),
        "CELERY_BROKER_URL": broker.url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "BEACON_DELIVERY_LEASE_SECONDS": str(LEASE_SECONDS),
        "BEACON_SWEEP_GRACE_SECONDS": str(GRACE_SECONDS),
        "BEACON_DELIVERY_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
    }
    process = WorkerProcess(env, key_prefix=broker.key_prefix, concurrency=1).start()
    yield process.wait_ready()
    process.stop()


@pytest.mark.broker
def test_a_delivery_whose_send_kills_the_worker_is_given_up_after_the_maximum_and_failed_over(
    worker,
    backup_receiver,  # noqa: F811
    commander,  # noqa: F811
    capsys,
):
    with FakeWebhookReceiver() as poison, FakeWebhookReceiver() as healthy:
        poison.hang(30)  # the kill lands while the request is in flight
        webhook_plan(poison.url, backup_receiver.url)
        with dying_before_publish():
            incident = declare(commander)
            response_plan_run(incident.pk)  # the plan writes the poison first
            others = webhook_messages(4, healthy.url)[-4:]
        # One batch, the poison first: each kill takes the batch's claims down with it.
        poisoned = Delivery.objects.get(channel="webhook", notification__incident=incident)
        publish([poisoned.pk, *(d.pk for d in others)])
        killed = 0
        for attempt in range(1, MAX_ATTEMPTS + 1):
            wait_until(lambda n=attempt: len(poison.requests) >= n, [worker], sweeping=True)
            for pid in pool_processes(worker.process.pid):
                os.kill(pid, signal.SIGKILL)
                killed += 1
        wait_until(all_sent(5), [worker], sweeping=True, timeout=60)

        primary = Delivery.objects.get(channel="webhook", notification__incident=incident)
        backup = Delivery.objects.get(failed_over_from=primary)
        with capsys.disabled():
            print(f"\npool processes killed: {killed}; {primary.last_error}")
        assert (primary.status, primary.attempts) == (DeliveryStatus.FAILED_OVER, MAX_ATTEMPTS)
        assert primary.dead_at and "died or hung while sending" in primary.last_error
        assert len(poison.requests) == MAX_ATTEMPTS
        assert backup_receiver.received_ids() == [backup.idempotency_key]
        # The others were in the poison's batch: taken back, they went out one per task.
        assert sorted(healthy.received_ids()) == sorted(d.idempotency_key for d in others)
        outcomes = Delivery.objects.filter(pk__in=[d.pk for d in others])
        assert set(outcomes.values_list("attempts", "lost_attempts", "dead_at")) == {(2, 1, None)}
        failover = incident.timeline.get(kind=TimelineKind.DELIVERY_FAILOVER)
        assert "died or hung while sending (3 of 3 attempts)" in failover.message
