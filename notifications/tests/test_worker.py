import time

import pytest

from notifications.models import WorkerHeartbeat
from notifications.tasks import record_heartbeat

pytestmark = pytest.mark.broker


def wait_for(condition, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_real_worker_runs_a_task_sent_through_redis(redis_worker):
    result = record_heartbeat.apply_async()
    assert result.id
    assert wait_for(lambda: WorkerHeartbeat.objects.filter(name="worker").exists())
    assert WorkerHeartbeat.objects.get().hostname in redis_worker.hostname


def test_running_the_task_twice_is_harmless(redis_worker):
    record_heartbeat.delay()
    record_heartbeat.delay()
    assert wait_for(lambda: WorkerHeartbeat.objects.exists())
    time.sleep(0.5)
    assert WorkerHeartbeat.objects.count() == 1
