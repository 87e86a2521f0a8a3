"""Pages under a real Celery worker that serves only the pages queue, as the Procfile's pages
worker does: a page goes out while the broadcasts' queue has no worker at all, and a provider
asking a SEV1 page to wait two hours makes it fail over to its backup at once."""

import time

import pytest
from django.db import connection, transaction

from incidents.tests import factories
from incidents.tests.effort_factories import policy
from notifications.methods import Method
from notifications.models import Delivery, DeliveryStatus, Notification, NotificationEvent
from notifications.services.outbox import open_next_method
from notifications.tests.test_faults import (  # noqa: F401 - fixtures
    GRACE_SECONDS,
    LEASE_SECONDS,
    backup_receiver,
    broker,
    commander,
    declare,
    wait_until,
)
from notifications.tests.worker_process import WorkerProcess, database_url, lines_with


@pytest.fixture
def pages_worker(broker):  # noqa: F811
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(connection.settings_dict),
        "CELERY_BROKER_URL": broker.url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "BEACON_DELIVERY_LEASE_SECONDS": str(LEASE_SECONDS),
        "BEACON_SWEEP_GRACE_SECONDS": str(GRACE_SECONDS),
    }
    process = WorkerProcess(
        env, key_prefix=broker.key_prefix, concurrency=1, queues=("pages",)
    ).start()
    yield process.wait_ready()
    log = process.log()
    process.stop()
    assert not lines_with(log, ["ERROR/"]), lines_with(log, ["ERROR/"])


def written(event, incident, methods):
    """A notification about `incident` with its first method's deliveries, queued on commit."""
    with transaction.atomic():
        notification = Notification.objects.create(
            event=event,
            audience="people",
            about=incident,
            subject=f"{event} for {incident.reference}",
            content={"webhook": {"text": "Checkout is down"}, "mattermost": {"text": "Down"}},
            methods=[Method(channel, "fixed", url).as_dict() for channel, url in methods],
        )
        open_next_method(notification, after_rank=-1, people=[])
    return notification


@pytest.mark.broker
def test_a_sev1_page_asked_to_wait_two_hours_fails_over_at_once_beside_an_unserved_broadcast(
    pages_worker,
    webhook_receiver,
    backup_receiver,  # noqa: F811
    commander,  # noqa: F811
):
    sev1 = factories.SeverityFactory(name="SEV1", rank=1)
    policy(commander, {sev1: {"ack_target_minutes": 5}})
    incident = declare(commander)
    incident.severity = sev1
    incident.save(update_fields=["severity"])
    Delivery.objects.all().delete()  # the declaration's own announcements
    webhook_receiver.rate_limit(retry_after=7200)
    broadcast = written("declared", incident, [("webhook", f"{webhook_receiver.url}/all")])
    started = time.monotonic()
    page = written(
        NotificationEvent.PAGE,
        incident,
        [("webhook", webhook_receiver.url), ("mattermost", backup_receiver.url)],
    )
    wait_until(lambda: len(backup_receiver.requests) == 1, [pages_worker], timeout=20)
    took = time.monotonic() - started
    # Sends are recorded a batch (or a quarter second) at a time: the row follows the request.
    wait_until(lambda: page.deliveries.filter(status=DeliveryStatus.SENT).exists(), [pages_worker])

    primary, backup = page.deliveries.order_by("method_rank")
    assert (primary.status, primary.attempts) == (DeliveryStatus.FAILED_OVER, 1)
    assert "a page cannot wait 7200 s (at most 300 s)" in primary.last_error
    assert (backup.status, backup.failed_over_from) == (DeliveryStatus.SENT, primary)
    assert took < 10
    # The broadcast waits for its own worker; nothing of it went out.
    assert broadcast.deliveries.get().status == DeliveryStatus.PENDING
    assert [r.path for r in webhook_receiver.requests] == ["/"]
