"""Time limits in a real worker: a send that hangs is cut at the delivery's soft limit (half
the lease: 1 s here, before the HTTP client's own 2 s timeout), recorded as a retryable
failure, and the retry goes out."""

import pytest

from notifications.models import Delivery, DeliveryStatus
from notifications.tasks import deliver, deliver_page

from .test_faults import LEASE_SECONDS, all_sent, wait_until, webhook_messages


@pytest.mark.broker
def test_a_send_that_hangs_is_cut_at_the_soft_time_limit_and_retried(
    workers, webhook_receiver, monkeypatch
):
    # Celery puts the publisher's limits in the message, and this process loaded the task
    # with the default lease: publish with the limits of the workers' lease (and drop the
    # options Celery cached from the task at its first publish).
    for task in (deliver, deliver_page):
        monkeypatch.setattr(task, "soft_time_limit", LEASE_SECONDS / 2)
        monkeypatch.setattr(task, "time_limit", LEASE_SECONDS * 3 / 4)
        monkeypatch.setattr(task, "_exec_options", None)
    webhook_receiver.hang(5, times=1)
    webhook_messages(1, webhook_receiver.url)
    worker = workers()
    wait_until(all_sent(1), [worker])

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 2)
    hung, answered = webhook_receiver.requests
    assert hung.answered_status is None and answered.answered_status == 200
    # Cut by the soft limit (the client's timeout would have said "timed out"), not killed.
    assert delivery.last_error == "The send took too long; cut."
    # The limit runs from the task's start, and the hung request reached the receiver a moment
    # after it (the worker's first send: its connection, its rendering; seen: 0.98 s apart).
    assert answered.received_at - hung.received_at >= LEASE_SECONDS / 2 - 0.25
    assert "cut at the task's soft time limit" in worker.log()
