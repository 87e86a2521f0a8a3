"""The sending state machine, step by step: claim, outcome, retry, failover, sweeper."""

import time
import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from incidents.tests.factories import UserFactory
from notifications.models import Delivery, DeliveryStatus
from notifications.services import (
    deliveries_sweep,
    delivery_retry,
    delivery_send,
    notify_people,
)
from notifications.services.failures import backoff_seconds

pytestmark = pytest.mark.django_db


@pytest.fixture
def cora():
    return UserFactory(username="cora", email="cora@example.com")


@pytest.fixture
def delivery(cora, settings):
    """An unsent email to Cora (publishing after commit does not run in these tests)."""
    settings.BEACON_DIRECT_METHODS = ["webhook", "email"]  # webhook reaches no person: skipped
    notify_people(people=[cora], event="policy_sign_off", context={"headline": "Sign v2"})
    return Delivery.objects.get()


def fail_with(monkeypatch, error):
    def send(self, message):
        raise error

    monkeypatch.setattr("notifications.channels.email.EmailAdapter.send", send)


def test_a_due_delivery_is_sent_once(delivery):
    assert delivery_send(delivery.pk) == DeliveryStatus.SENT
    assert delivery_send(delivery.pk) is None
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and delivery.sent_at and delivery.provider_reference
    assert len(mail.outbox) == 1 and mail.outbox[0].subject == "Sign v2"


def test_a_retryable_failure_waits_at_least_what_the_provider_asked(delivery, monkeypatch):
    from notifications.channels import RetryableError

    fail_with(monkeypatch, RetryableError("HTTP 429", retry_after=30))
    before = timezone.now()
    assert delivery_send(delivery.pk) == DeliveryStatus.PENDING
    delivery.refresh_from_db()
    assert delivery.next_attempt_at >= before + timedelta(seconds=30)
    assert delivery.last_error == "HTTP 429" and delivery.claim_token is None
    assert delivery_send(delivery.pk) is None  # not due yet: a scheduled task will come


def test_a_permanent_failure_with_no_backup_left_fails(delivery, monkeypatch):
    from notifications.channels import PermanentError

    fail_with(monkeypatch, PermanentError("recipient refused"))
    assert delivery_send(delivery.pk) == DeliveryStatus.FAILED
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and delivery.last_error == "recipient refused"


def test_a_claim_in_flight_is_left_alone_until_its_lease_expires(delivery, settings):
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SENDING, claim_token=uuid.uuid4(), claimed_at=timezone.now()
    )
    assert delivery_send(delivery.pk) is None
    assert deliveries_sweep() == 0
    later = timezone.now() + timedelta(seconds=settings.BEACON_DELIVERY_LEASE_SECONDS + 1)
    assert deliveries_sweep(now=later) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING and delivery.claim_token is None


def test_a_worker_whose_claim_was_taken_back_cannot_record(delivery, monkeypatch):
    from notifications.services import sending

    real_claim = sending._claim_batch

    def claim_then_lose_it(delivery_ids):
        claimed = real_claim(delivery_ids)
        Delivery.objects.filter(pk__in=delivery_ids).update(claim_token=uuid.uuid4())
        return claimed

    monkeypatch.setattr(sending, "_claim_batch", claim_then_lose_it)
    assert delivery_send(delivery.pk) is None
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENDING and delivery.sent_at is None


def test_the_sweeper_requeues_only_what_is_overdue(delivery, settings, monkeypatch):
    published = []
    monkeypatch.setattr(
        "notifications.services.sweeper.publish", lambda ids, **kwargs: published.extend(ids)
    )
    assert deliveries_sweep() == 0  # within the grace period: its own task may still come
    later = timezone.now() + timedelta(seconds=settings.BEACON_SWEEP_GRACE_SECONDS + 1)
    assert deliveries_sweep(now=later) == 1 and published == [delivery.pk]
    delivery_send(delivery.pk)
    assert deliveries_sweep(now=later) == 0  # a sent delivery is never taken again
    assert published == [delivery.pk]


def test_retry_now_gives_a_failed_delivery_fresh_attempts(delivery, cora):
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED, attempts=5)
    retried = delivery_retry(delivery=delivery, actor=cora)
    assert (retried.status, retried.attempts) == (DeliveryStatus.PENDING, 0)
    delivery_send(delivery.pk)
    with pytest.raises(ValidationError, match="only a failed or waiting delivery"):
        delivery_retry(delivery=delivery, actor=cora)


def test_backoff_grows_and_is_bounded(settings):
    settings.BEACON_DELIVERY_BACKOFF_SECONDS = 2
    for attempt, ceiling in [(1, 2), (2, 4), (3, 8), (20, 300)]:
        waits = [backoff_seconds(attempt) for _ in range(50)]
        assert all(ceiling / 2 <= w <= ceiling for w in waits)
        assert len(set(waits)) > 1  # jittered


def test_nobody_reachable_is_recorded_without_deliveries(settings):
    settings.BEACON_DIRECT_METHODS = ["sms"]
    assert notify_people(people=[UserFactory()], event="spof", context={"headline": "x"})
    assert not Delivery.objects.exists()
    assert notify_people(people=[], event="spof", context={"headline": "x"}) is None


def test_a_batch_gives_back_what_it_has_not_reached_by_a_quarter_of_the_lease(
    settings, monkeypatch
):
    from notifications.services import deliveries_send, sending

    settings.BEACON_DIRECT_METHODS = ["email"]
    settings.BEACON_DELIVERY_LEASE_SECONDS = 0.4  # a batch may take 0.1 s
    people = [UserFactory() for _ in range(3)]
    notify_people(people=people, event="policy_sign_off", context={"headline": "Sign v2"})
    first, *rest = Delivery.objects.order_by("pk")
    real_send = sending.get_adapter("email").send

    def slow_send(message):
        time.sleep(0.15)
        return real_send(message)

    monkeypatch.setattr(sending.get_adapter("email"), "send", slow_send)
    published = []
    monkeypatch.setattr(sending, "publish", lambda ids, **kwargs: published.extend(ids))

    assert deliveries_send([first.pk, *(d.pk for d in rest)]) == {first.pk: DeliveryStatus.SENT}
    assert published == [d.pk for d in rest]
    assert set(Delivery.objects.filter(pk__in=published).values_list("status", "attempts")) == {
        (DeliveryStatus.PENDING, 0)
    }
