"""Pacing: deliveries to one Slack channel go out a second apart, whichever worker sends them.

The workers are threads here, each task on a database connection of its own as in a worker
process; a stand-in for the broker runs each published task after its countdown. Slack is the
local fake, which records when each message arrived.
"""

import time
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import pytest
from django.db import connections, transaction

from notifications.methods import Method
from notifications.models import (
    ChannelPace,
    Delivery,
    DeliveryStatus,
    Notification,
    NotificationAudience,
    NotificationEvent,
)
from notifications.services import delivery_send
from notifications.services.outbox import open_next_method

pytestmark = pytest.mark.django_db(transaction=True)

# A slot is taken before its request is made: what happens in between (a commit, a thread
# waking up) varies by a few tens of milliseconds from one message to the next.
JITTER = 0.05


class Broker:
    """Runs each published task in a thread of its own once its countdown has passed."""

    def __init__(self):
        self.pool = ThreadPoolExecutor(max_workers=16)
        self.tasks = []

    def publish(self, delivery_ids, countdown=None, page=False, batch_size=None):
        self.tasks.extend(self.pool.submit(self._deliver, pk, countdown) for pk in delivery_ids)
        return True

    def _deliver(self, delivery_id, countdown):
        time.sleep(countdown or 0)
        try:
            return delivery_send(delivery_id)
        finally:
            connections.close_all()

    def drain(self, timeout=20):
        """Wait for every task, those published meanwhile included; raise what they raised."""
        done = 0
        while done < len(self.tasks):
            self.tasks[done].result(timeout=timeout)
            done += 1


@pytest.fixture
def broker(monkeypatch, settings, fake_slack):
    settings.BEACON_CHANNEL_MIN_INTERVAL_SECONDS = {"slack": 1.0}
    broker = Broker()
    monkeypatch.setattr("notifications.services.outbox.publish", broker.publish)
    monkeypatch.setattr("notifications.services.sending.publish", broker.publish)
    monkeypatch.setattr("notifications.services.failures.publish", broker.publish)
    yield broker
    broker.pool.shutdown(cancel_futures=True)


def slack_messages(*channels):
    """One Slack message to each channel given, all published at once when written."""
    with transaction.atomic():
        for n, channel in enumerate(channels):
            notification = Notification.objects.create(
                event=NotificationEvent.PAGE,
                audience=NotificationAudience.PEOPLE,
                subject=f"Message {n}",
                methods=[Method("slack", "fixed", channel).as_dict()],
            )
            open_next_method(notification, after_rank=-1, people=[])


def posts(slack):
    """The chat.postMessage requests Slack received: (arrival, status, delivery id)."""
    return [
        (r.received_at, r.answered_status, r.json["metadata"]["event_payload"]["delivery_id"])
        for r in slack.requests
        if r.path == "/api/chat.postMessage"
    ]


def test_a_burst_to_one_channel_goes_out_a_second_apart(broker, fake_slack):
    slack_messages(*["#incidents"] * 5)
    broker.drain()

    arrivals = [at for at, _status, _id in posts(fake_slack)]
    assert len(arrivals) == 5 and len(fake_slack.messages("incidents")) == 5
    assert min(b - a for a, b in pairwise(arrivals)) >= 1 - JITTER
    assert arrivals[-1] - arrivals[0] < 5  # no message waited longer than its turn
    # Waiting for a slot is not an attempt.
    assert set(Delivery.objects.values_list("status", "attempts")) == {(DeliveryStatus.SENT, 1)}
    assert ChannelPace.objects.get().address == "#incidents"


def test_channels_are_not_paced_against_each_other(broker, fake_slack):
    fake_slack.add_channel("war-room")
    slack_messages("#incidents", "#beacon-drills", "#war-room")
    broker.drain()

    arrivals = [at for at, _status, _id in posts(fake_slack)]
    assert len(arrivals) == 3 and max(arrivals) - min(arrivals) < 0.5
    assert set(Delivery.objects.values_list("status", "attempts")) == {(DeliveryStatus.SENT, 1)}
    assert ChannelPace.objects.count() == 3


def test_slack_asking_to_wait_is_still_obeyed(broker, fake_slack):
    fake_slack.fail_next("chat.postMessage", retry_after=2)
    slack_messages("#incidents", "#incidents")
    broker.drain()

    (limited_at, limited, limited_id), *sent = posts(fake_slack)
    assert limited == 429 and [status for _at, status, _id in sent] == [200, 200]
    retried_at = next(at for at, _status, pk in sent if pk == limited_id)
    assert retried_at - limited_at >= 2
    # The other message kept its turn, a second after the first.
    other_at = next(at for at, _status, pk in sent if pk != limited_id)
    assert other_at - limited_at >= 1 - JITTER
    attempts = dict(Delivery.objects.values_list("pk", "attempts"))
    assert attempts.pop(limited_id) == 2 and list(attempts.values()) == [1]
