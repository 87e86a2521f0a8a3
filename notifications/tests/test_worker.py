import time

import pytest

from notifications.models import Delivery, DeliveryStatus, WorkerHeartbeat
from notifications.tasks import deliver, sweep
from notifications.tests.test_faults import dying_before_publish, webhook_messages

pytestmark = pytest.mark.broker


def wait_for(condition, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_real_worker_runs_a_task_sent_through_redis(redis_worker, webhook_receiver, settings):
    settings.BEACON_SWEEP_GRACE_SECONDS = 0
    with dying_before_publish():
        [delivery] = webhook_messages(1, webhook_receiver.url)
    sweep.apply_async()  # which queues the delivery, which the worker sends
    assert wait_for(lambda: Delivery.objects.filter(status=DeliveryStatus.SENT).exists())
    assert webhook_receiver.received_ids() == [delivery.idempotency_key]


def test_running_the_task_twice_is_harmless(redis_worker, webhook_receiver):
    with dying_before_publish():
        [delivery] = webhook_messages(1, webhook_receiver.url)
    deliver.delay([delivery.pk])
    deliver.delay([delivery.pk])
    assert wait_for(lambda: Delivery.objects.filter(status=DeliveryStatus.SENT).exists())
    time.sleep(0.5)
    assert webhook_receiver.received_ids() == [delivery.idempotency_key]


def test_a_worker_reports_a_heartbeat_for_each_queue_it_consumes(redis_worker):
    parts = {"worker:default", "worker:notifications", "worker:pages"}
    assert wait_for(lambda: WorkerHeartbeat.objects.filter(name__in=parts).count() == 3)
    assert set(WorkerHeartbeat.objects.values_list("hostname", flat=True)) == {
        redis_worker.hostname
    }
