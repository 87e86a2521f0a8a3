"""The background machinery keeps itself going (issue 12, part 1), with real Celery workers on
Redis: a worker holding unacknowledged work outlives a broker outage and, once the broker is
back, everything is sent exactly once without anyone restarting anything; each worker reports
a heartbeat for every queue it consumes, and /readyz names the queue nobody consumes.

Receivers count Idempotency-Key headers: a key received twice is a message sent twice.
"""

import socket
import time
from collections import Counter

import pytest
from django.utils import timezone

from config.celery_routes import PERIODIC_TASKS
from notifications.models import WorkerHeartbeat
from notifications.tests.test_faults import all_sent, succeeded, wait_until, webhook_messages

SWEEP_PERIOD = PERIODIC_TASKS["outbox sweeper"][1]  # seconds between two runs under beat


@pytest.mark.broker
@pytest.mark.parametrize("outage", ["down", "black_hole"])
def test_a_worker_holding_work_outlives_a_broker_outage_and_then_sends_everything_once(
    redis_proxy, workers, webhook_receiver, outage, capsys
):
    # redis_proxy comes before workers: the worker stops before the proxy does.
    proxy, proxy_url = redis_proxy
    webhook_receiver.respond(delay=1)  # each send holds its task, unacknowledged, for 1 s
    deliveries = webhook_messages(10, webhook_receiver.url)
    worker = workers(proxy_url, broker_outage=True)
    wait_until(lambda: len(webhook_receiver.requests) >= 2, [worker])  # both processes busy

    getattr(proxy, outage)()  # refused, or accepted and never answered
    wait_until(lambda: "Connection to broker lost" in worker.log(), [worker])
    time.sleep(3)  # reconnection attempts fail meanwhile
    assert worker.process.poll() is None, worker.log()[-3000:]
    done_before = succeeded(worker)
    proxy.up()
    back_at, back = time.monotonic(), timezone.now()

    # Beat's sweeper runs (more often than under beat); the same worker process sends the rest.
    wait_until(all_sent(len(deliveries)), [worker], sweeping=True, timeout=SWEEP_PERIOD)
    recovered_in = time.monotonic() - back_at
    assert worker.process.poll() is None and succeeded(worker) > done_before
    received = Counter(webhook_receiver.received_ids())
    assert set(received) == {d.idempotency_key for d in deliveries}
    assert set(received.values()) == {1}
    # Its consumer reconnected, so its heartbeats go on.
    assert WorkerHeartbeat.objects.filter(name="worker:notifications", last_seen__gte=back)
    with capsys.disabled():
        print(f"\nbroker {outage} for 3 s: all sent once, {recovered_in:.1f} s after it came back")


@pytest.mark.broker
def test_readyz_names_the_queue_no_running_worker_consumes(workers, client):
    worker = workers(queues=["default", "notifications"])
    consumed = {"worker:default", "worker:notifications"}
    wait_until(lambda: WorkerHeartbeat.objects.filter(name__in=consumed).count() == 2, [worker])

    response = client.get("/readyz")
    assert response.status_code == 503
    states = response.json()["heartbeats"]
    assert states["worker:default"] == states["worker:notifications"] == "ok"
    assert states["worker:pages"] == "unavailable: never reported"
    assert set(WorkerHeartbeat.objects.values_list("hostname", flat=True)) == {
        f"celery@{socket.gethostname()}"
    }
