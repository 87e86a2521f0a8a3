"""The outbox under the faults it exists for, with real Celery workers (subprocesses, prefork,
acks_late, prefetch 1) on Redis and local fake receivers: a worker killed mid-send, a broker
that refuses or swallows connections, a web process that dies between commit and publish, a
task published twice, a primary channel that always fails, a provider asking to wait.

Receivers count Idempotency-Key headers: a key received twice is a message sent twice.
"""

import os
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
import requests
from django.db import connection, connections, transaction

from config.celery_routes import QUEUES
from incidents import services
from incidents.models import Incident, TimelineKind
from incidents.tests import factories
from notifications.methods import Method
from notifications.models import (
    Delivery,
    DeliveryStatus,
    Notification,
    NotificationAudience,
    NotificationEvent,
)
from notifications.services import deliveries_sweep, delivery_send, publish
from notifications.services.outbox import open_next_method
from notifications.tasks import sweep
from notifications.testing import FakeWebhookReceiver
from notifications.tests.brokers import celery_broker, redis_or_skip
from notifications.tests.tcp_proxy import TcpProxy
from notifications.tests.worker_process import WorkerProcess, database_url, lines_with
from response.models import CommunicationMethod, ResponsePlan, ResponsePlanStep, StepAction

REDIS_URL = os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")
# Short enough for a test to wait them out; the workers get the same values.
LEASE_SECONDS = 2
GRACE_SECONDS = 1
SENT = DeliveryStatus.SENT


@pytest.fixture
def broker(transactional_db, settings):
    """The app's broker for one test: Redis keys of its own (a prefix: the in-process worker
    of test_worker.py purges the queues, maybe meanwhile), tasks sent, not run eagerly.

    Publishing uses the settings' Redis transport options: the test settings' broker is the
    file system's, so they are not in force by themselves.
    """
    client = redis_or_skip(REDIS_URL)
    settings.BEACON_DELIVERY_LEASE_SECONDS = LEASE_SECONDS
    settings.BEACON_SWEEP_GRACE_SECONDS = GRACE_SECONDS
    prefix = f"beacon-faults-{uuid.uuid4().hex}:"
    options = {**settings.BROKER_REDIS_TRANSPORT_OPTIONS, "global_keyprefix": prefix}
    with celery_broker(REDIS_URL, task_always_eager=False, broker_transport_options=options):
        yield SimpleNamespace(url=REDIS_URL, key_prefix=prefix, options=options)
    # After the workers are gone: what they left (a killed worker's unacked tasks).
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


@pytest.fixture
def workers(broker):
    """`start(broker_url=..., **env)` starts a real worker on the test database; all stop at
    the end, none having logged an error. One started with `broker_outage=True` may log that it
    lost the broker (the test takes it away), but nothing worse."""
    started, outages = [], set()

    def start(broker_url=broker.url, *, queues=QUEUES, broker_outage=False, **extra_env):
        env = {
            **extra_env,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": database_url(connection.settings_dict),
            "CELERY_BROKER_URL": broker_url,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "BEACON_DELIVERY_LEASE_SECONDS": str(LEASE_SECONDS),
            "BEACON_SWEEP_GRACE_SECONDS": str(GRACE_SECONDS),
        }
        started.append(WorkerProcess(env, key_prefix=broker.key_prefix, queues=queues).start())
        if broker_outage:
            outages.add(started[-1])
        return started[-1]

    yield start
    logs = []
    for worker in started:
        logs.append((worker.log(), worker in outages))
        worker.stop()
    for log, outage in logs:
        forbidden = ["CRITICAL/", "Unrecoverable error"]
        if not outage:  # The socket timeouts are short: a healthy worker never trips on them.
            forbidden += ["ERROR/", "Connection to broker lost"]
        assert not lines_with(log, forbidden), lines_with(log, forbidden)


@pytest.fixture
def backup_receiver():
    with FakeWebhookReceiver() as receiver:
        yield receiver


@pytest.fixture
def commander():
    return factories.commander(username="cora")


def wait_until(condition, workers=(), *, timeout=30, sweeping=False):
    """Poll `condition`; with `sweeping`, run the outbox sweeper once a second meanwhile (as
    beat does, only more often). On timeout, fail with the end of the workers' logs."""
    deadline = time.monotonic() + timeout
    next_sweep = 0
    while not condition():
        now = time.monotonic()
        if now > deadline:
            logs = "\n".join(worker.log()[-3000:] for worker in workers)
            pytest.fail(f"still waiting after {timeout} s; the workers' logs end:\n{logs}")
        if sweeping and now >= next_sweep:
            sweep()
            next_sweep = now + 1
        time.sleep(0.1)


@contextmanager
def dying_before_publish():
    """Commit without the on-commit callbacks, as a process killed right after COMMIT does."""
    saved = transaction.on_commit
    transaction.on_commit = lambda *args, **kwargs: None
    try:
        yield
    finally:
        transaction.on_commit = saved


def webhook_messages(count, url):
    """`count` webhook deliveries, written the way the outbox writes them (queued on commit)."""
    method = Method("webhook", "fixed", url).as_dict()
    with transaction.atomic():
        for n in range(count):
            notification = Notification.objects.create(
                event=NotificationEvent.PAGE,
                audience=NotificationAudience.PEOPLE,
                subject=f"Page {n}",
                content={"webhook": {"text": f"Page {n}"}},
                methods=[method],
            )
            open_next_method(notification, after_rank=-1, people=[])
    return list(Delivery.objects.order_by("pk"))


def webhook_plan(primary_url, backup_url):
    """The active plan for every incident: broadcast to responders by webhook, Mattermost
    as the backup; and a checklist item, pending until someone ticks it off."""
    plan = ResponsePlan.objects.create(name="Webhooks", is_active=True)
    ResponsePlanStep.objects.create(plan=plan, action=StepAction.BROADCAST)
    ResponsePlanStep.objects.create(plan=plan, action=StepAction.MANUAL, title="Call the CTO")
    for rank, (channel, address) in enumerate(
        [("webhook", primary_url), ("mattermost", backup_url)]
    ):
        CommunicationMethod.objects.create(
            plan=plan,
            audience="responders",
            rank=rank,
            channel=channel,
            target="fixed",
            address=address,
        )


def declare(actor):
    return services.incident_declare(
        actor=actor,
        title="Checkout is failing",
        incident_type=factories.IncidentTypeFactory(name="Outage", slug="outage"),
        severity=factories.SeverityFactory(name="SEV2", rank=2),
        affects_customers=True,
        unplanned=True,
        exceeds_one_hour=True,
    )


def all_sent(count):
    return lambda: Delivery.objects.filter(status=SENT).count() == count


def succeeded(worker):
    return worker.log().count(" succeeded in ")


@pytest.mark.broker
def test_a_worker_killed_mid_send_loses_nothing_and_repeats_only_what_was_in_flight(
    workers, webhook_receiver, capsys
):
    webhook_receiver.respond(delay=0.3)  # slow enough for the kill to land mid-send
    webhook_messages(16, webhook_receiver.url)
    first = workers()
    wait_until(
        lambda: (
            len(webhook_receiver.successful_requests()) >= 3
            and any(r.answered_status is None for r in webhook_receiver.requests)
        ),
        [first],
    )
    first.kill()
    at_kill = dict(Delivery.objects.values_list("idempotency_key", "status"))
    sent_at_kill = {key for key, status in at_kill.items() if status == SENT}
    in_flight_at_kill = {key for key, status in at_kill.items() if status == DeliveryStatus.SENDING}
    assert sent_at_kill and in_flight_at_kill

    # What the killed worker had taken stays unacked in Redis for an hour: the sweeper
    # re-queues it once the claims are past their lease.
    second = workers()
    wait_until(all_sent(16), [second], sweeping=True)

    received = Counter(webhook_receiver.received_ids())
    repeated = {key for key, times in received.items() if times > 1}
    with capsys.disabled():
        print(
            f"\nkilled with {len(sent_at_kill)} sent and {len(in_flight_at_kill)} in flight; "
            f"received twice: {len(repeated)}"
        )
    assert set(received) == set(at_kill)
    assert all(received[key] == 1 for key in sent_at_kill)
    assert repeated <= in_flight_at_kill and max(received.values()) <= 2


@pytest.fixture
def redis_proxy(broker):
    redis_at = urlsplit(broker.url)
    with TcpProxy(redis_at.hostname, redis_at.port or 6379) as proxy:
        yield proxy, f"redis://127.0.0.1:{proxy.port}{redis_at.path}"


@pytest.mark.broker
def test_declarations_answer_at_once_while_the_broker_is_away_and_are_sent_once_after(
    redis_proxy, broker, workers, live_server, webhook_receiver, commander, capsys, settings
):
    # redis_proxy comes before workers: the worker stops before the proxy does.
    proxy, proxy_url = redis_proxy
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "declare": "50/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    webhook_plan(webhook_receiver.url, f"{webhook_receiver.url}/backup")
    factories.IncidentTypeFactory(name="Outage", slug="outage")
    factories.SeverityFactory(name="SEV2", rank=2)
    api = requests.Session()
    _token, key = services.api_token_create(user=commander, actor=commander)
    api.headers["Authorization"] = f"Token {key}"
    body = {
        "title": "Checkout is failing",
        "incident_type": "outage",
        "severity": "SEV2",
        "affects_customers": True,
        "unplanned": True,
        "exceeds_one_hour": True,
    }
    seconds = []
    with celery_broker(proxy_url, task_always_eager=False, broker_transport_options=broker.options):
        for n in range(50):
            if n == 0:
                proxy.down()  # connections refused
            if n == 45:
                proxy.black_hole()  # connections accepted, never answered
            started = time.monotonic()
            response = api.post(f"{live_server.url}/api/v1/incidents/", json=body, timeout=10)
            seconds.append(time.monotonic() - started)
            assert response.status_code == 201, response.text
        with capsys.disabled():
            print(
                f"\nslowest declaration: {max(seconds[:45]):.2f} s with the broker refusing, "
                f"{max(seconds[45:]):.2f} s with it swallowing connections"
            )
        assert max(seconds) < 1, [round(s, 2) for s in seconds]
        assert Incident.objects.count() == 50 and not Notification.objects.exists()

        proxy.up()
        # The worker takes Redis directly: the proxy is a thread of this busy process, and on
        # a loaded machine it may pass a reply on later than the broker's short socket timeout.
        worker = workers()
        wait_until(all_sent(50), [worker], sweeping=True, timeout=60)

    received = Counter(webhook_receiver.received_ids())
    assert len(received) == 50 and set(received.values()) == {1}


@pytest.mark.broker
def test_a_declaration_whose_web_process_died_before_publishing_is_sent_once(
    workers, webhook_receiver, commander
):
    webhook_plan(webhook_receiver.url, f"{webhook_receiver.url}/backup")
    with dying_before_publish():
        incident = declare(commander)
    worker = workers()
    wait_until(all_sent(1), [worker], sweeping=True)
    # Then the sweeper finds nothing: the delivery is sent, only the checklist item is left.
    assert sweep() == {"deliveries": 0, "plans": 0}

    delivery = Delivery.objects.get()
    assert delivery.notification.about == incident
    assert webhook_receiver.received_ids() == [delivery.idempotency_key]


@pytest.mark.broker
def test_a_delivery_published_twice_is_sent_once_even_by_two_processes_at_once(
    workers, webhook_receiver
):
    webhook_receiver.respond(delay=0.2)
    with dying_before_publish():
        deliveries = webhook_messages(6, webhook_receiver.url)
    # Each id twice in a row: the worker's two processes take both copies at the same time.
    for delivery in deliveries:
        publish([delivery.pk])
        publish([delivery.pk])
    worker = workers()
    wait_until(lambda: succeeded(worker) == 12, [worker])

    keys = [delivery.idempotency_key for delivery in deliveries]
    assert Counter(webhook_receiver.received_ids()) == Counter(keys)
    assert set(Delivery.objects.values_list("status", "attempts")) == {(SENT, 1)}


@pytest.mark.broker
def test_a_sent_delivery_is_never_sent_again_however_often_the_sweeper_runs(
    workers, webhook_receiver, settings
):
    deliveries = webhook_messages(4, webhook_receiver.url)
    worker = workers()
    wait_until(all_sent(4), [worker])
    settings.BEACON_SWEEP_GRACE_SECONDS = settings.BEACON_DELIVERY_LEASE_SECONDS = 0
    assert [deliveries_sweep() for _ in range(3)] == [0, 0, 0]
    for delivery in deliveries:  # stray copies of every task
        publish([delivery.pk])
    wait_until(lambda: succeeded(worker) == 8, [worker])

    assert sorted(webhook_receiver.received_ids()) == sorted(d.idempotency_key for d in deliveries)


@pytest.mark.broker
def test_a_primary_answering_500_every_time_fails_over_to_the_backup(
    workers, webhook_receiver, backup_receiver, commander, settings
):
    webhook_receiver.fail(500)
    webhook_plan(webhook_receiver.url, backup_receiver.url)
    worker = workers()
    incident = declare(commander)
    wait_until(all_sent(1), [worker])

    primary, backup = Delivery.objects.order_by("method_rank")
    attempts = settings.BEACON_DELIVERY_MAX_ATTEMPTS
    assert (primary.status, primary.attempts) == (DeliveryStatus.FAILED_OVER, attempts)
    assert webhook_receiver.received_ids() == [primary.idempotency_key] * attempts
    assert (backup.channel, backup.failed_over_from) == ("mattermost", primary)
    assert backup_receiver.received_ids() == [backup.idempotency_key]
    failover = incident.timeline.get(kind=TimelineKind.DELIVERY_FAILOVER)
    assert "sending by mattermost instead" in failover.message


@pytest.mark.broker
def test_a_rate_limited_delivery_waits_as_long_as_retry_after_says(workers, webhook_receiver):
    webhook_receiver.rate_limit(retry_after=2)
    webhook_messages(1, webhook_receiver.url)
    worker = workers()
    wait_until(all_sent(1), [worker])

    limited, accepted = webhook_receiver.requests
    assert (limited.answered_status, accepted.answered_status) == (429, 200)
    assert accepted.received_at - limited.received_at >= 2


@pytest.mark.django_db(transaction=True)
def test_a_stale_workers_late_outcome_is_ignored(webhook_receiver, settings):
    """A worker stuck past its lease loses the claim to the sweeper, which sends again (tasks
    run eagerly here); the stuck attempt's failure, when it comes, changes nothing."""
    settings.BEACON_DELIVERY_LEASE_SECONDS = 1
    webhook_receiver.hang(5, times=1)  # the client gives up after BEACON_HTTP_TIMEOUT (2 s)
    with dying_before_publish():
        [delivery] = webhook_messages(1, webhook_receiver.url)

    def stale_worker():
        try:
            return delivery_send(delivery.pk)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(1) as pool:
        stale = pool.submit(stale_worker)
        webhook_receiver.wait_for(1)
        time.sleep(1.1)  # the claim is past its lease; the attempt still hangs
        assert deliveries_sweep() == 1
        assert stale.result() is None  # its claim was lost: the outcome is not recorded

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (SENT, 2, "")
    assert webhook_receiver.received_ids() == [delivery.idempotency_key] * 2
