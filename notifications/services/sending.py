"""Sending one delivery: claim it, send outside any transaction, record the outcome.

A delivery recorded as sent is never claimed again. Only the holder of the claim records an
outcome; a claim older than the lease is the sweeper's to take back (the worker died), and
only then can a message go out twice — which is why every message carries its delivery id.

Some channels are paced: Slack takes about one message a second per channel, so deliveries to
one address of such a channel take turns (slots), whichever worker process sends them.
"""

import logging
import random
import time
import uuid
from datetime import timedelta
from functools import partial

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents.models import TimelineKind
from notifications.channels import DeliveryError, OutgoingMessage, RetryableError, get_adapter
from notifications.models import ChannelPace, Delivery, DeliveryStatus

from .chores import WAIT_FOR_MESSAGES_SECONDS, waits_for_messages
from .outbox import open_next_method, publish

logger = logging.getLogger(__name__)

# A slot this close is waited for in the worker; a later one sends the delivery back to wait.
PACING_SLEEP_AT_MOST = 0.2  # seconds


def _locked(delivery_id):
    return (
        Delivery.objects.select_for_update(of=("self",))
        .select_related("notification")
        .filter(pk=delivery_id)
        .first()
    )


def _claim(delivery_id):
    now = timezone.now()
    lease = timedelta(seconds=settings.BEACON_DELIVERY_LEASE_SECONDS)
    with transaction.atomic():
        delivery = _locked(delivery_id)
        if delivery is None or delivery.is_settled:
            return None
        if delivery.status == DeliveryStatus.SENDING and delivery.claimed_at > now - lease:
            return None  # in flight in another worker
        if delivery.status == DeliveryStatus.PENDING and delivery.next_attempt_at > now:
            return None  # a retry that is not due yet; its own task comes later
        # Given back to wait for its slot (_give_back), it comes back holding that slot.
        delivery.kept_slot = (
            delivery.next_attempt_at if delivery.claimed_at == delivery.next_attempt_at else None
        )
        delivery.status = DeliveryStatus.SENDING
        delivery.claim_token = uuid.uuid4()
        delivery.claimed_at = now
        delivery.attempts += 1
        delivery.save(update_fields=["status", "claim_token", "claimed_at", "attempts"])
    return delivery


def _message(delivery):
    notification = delivery.notification
    return OutgoingMessage(
        delivery_id=delivery.pk,
        idempotency_key=delivery.idempotency_key,
        channel=delivery.channel,
        address=delivery.address,
        event=notification.event,
        subject=notification.subject,
        content=notification.content.get(delivery.channel, {}),
        data=notification.content.get("data", {}),
    )


def delivery_send(delivery_id):
    """Send a delivery if it is due and unsent; returns its status, or None if not ours."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return None
    if waits_for_messages(delivery):
        return _give_back(delivery, timezone.now() + timedelta(seconds=WAIT_FOR_MESSAGES_SECONDS))
    slot = _slot(delivery)
    wait = (slot - timezone.now()).total_seconds()
    if wait > PACING_SLEEP_AT_MOST:
        return _give_back(delivery, slot)
    time.sleep(max(0, wait))
    try:
        reference = get_adapter(delivery.channel).send(_message(delivery))
    except DeliveryError as error:
        return _record_failure(delivery, error)
    except SoftTimeLimitExceeded:  # a provider that hangs: cut well before the lease ends
        logger.warning("Delivery %s: cut at the task's soft time limit", delivery.pk)
        return _record_failure(delivery, RetryableError("The send took too long; cut."))
    except Exception as error:  # an unexpected library error: retry, then fail over
        logger.exception("Delivery %s: unexpected error", delivery.pk)
        return _record_failure(delivery, RetryableError(f"{type(error).__name__}: {error}"))
    return _record_sent(delivery, reference)


def _slot(delivery):
    """When the delivery may go out: now, or on a paced channel the next free slot of its
    address, taken. Pacing is done here and not in the adapter: adapters never touch models,
    and the slots must be shared by every worker process, so they are kept in the database."""
    interval = settings.BEACON_CHANNEL_MIN_INTERVAL_SECONDS.get(delivery.channel)
    now = timezone.now()
    if not interval:
        return now
    interval = timedelta(seconds=interval)
    if delivery.kept_slot and now < delivery.kept_slot + interval:
        return now  # its own slot; one missed (a late task, the sweeper) is gone
    with transaction.atomic():
        pace, _created = ChannelPace.objects.select_for_update().get_or_create(
            channel=delivery.channel, address=delivery.address, defaults={"next_slot_at": now}
        )
        now = timezone.now()  # after waiting for the lock
        slot = max(now, pace.next_slot_at)
        pace.next_slot_at = slot + interval
        pace.save(update_fields=["next_slot_at"])
    return slot


@transaction.atomic
def _give_back(delivery, slot):
    """Pending again until its slot, the attempt not counted. It keeps the slot: `claimed_at`
    equal to `next_attempt_at` says so (nothing else makes them equal)."""
    delivery = _reclaimed(delivery)
    if delivery is None:
        return None
    delivery.status = DeliveryStatus.PENDING
    delivery.attempts -= 1
    delivery.claim_token = None
    delivery.next_attempt_at = delivery.claimed_at = slot
    delivery.save(
        update_fields=["status", "attempts", "claim_token", "next_attempt_at", "claimed_at"]
    )
    wait = (slot - timezone.now()).total_seconds()
    transaction.on_commit(partial(publish, [delivery.pk], countdown=wait))
    return delivery.status


def _reclaimed(delivery):
    """The delivery, locked, if this worker's claim still holds."""
    current = _locked(delivery.pk)
    if current is None or current.claim_token != delivery.claim_token:
        logger.warning("Delivery %s: claim lost (taken back by the sweeper)", delivery.pk)
        return None
    return current


@transaction.atomic
def _record_sent(delivery, reference):
    delivery = _reclaimed(delivery)
    if delivery is None:
        return None
    delivery.status = DeliveryStatus.SENT
    delivery.sent_at = timezone.now()
    delivery.provider_reference = (reference or "")[:200]
    delivery.claim_token = None
    delivery.save(update_fields=["status", "sent_at", "provider_reference", "claim_token"])
    return delivery.status


def backoff_seconds(attempt):
    """Exponential with full jitter on the upper half: 2, 4, 8 … s (base from settings)."""
    ceiling = min(
        settings.BEACON_DELIVERY_BACKOFF_SECONDS * 2 ** (attempt - 1),
        settings.BEACON_DELIVERY_BACKOFF_MAX_SECONDS,
    )
    return ceiling / 2 + random.uniform(0, ceiling / 2)


@transaction.atomic
def _record_failure(delivery, error):
    delivery = _reclaimed(delivery)
    if delivery is None:
        return None
    delivery.last_error = str(error)[:2000]
    delivery.claim_token = None
    if error.retryable and delivery.attempts < settings.BEACON_DELIVERY_MAX_ATTEMPTS:
        wait = max(backoff_seconds(delivery.attempts), error.retry_after or 0)
        delivery.status = DeliveryStatus.PENDING
        delivery.next_attempt_at = timezone.now() + timedelta(seconds=wait)
        delivery.save(update_fields=["status", "next_attempt_at", "last_error", "claim_token"])
        transaction.on_commit(partial(publish, [delivery.pk], countdown=wait))
        return delivery.status
    _fail_over(delivery)
    return delivery.status


def _fail_over(delivery):
    notification = delivery.notification
    User = get_user_model()
    people = (
        [delivery.recipient]
        if delivery.recipient_id
        else list(User.objects.filter(pk__in=notification.people, is_active=True).order_by("pk"))
    )
    rank = open_next_method(
        notification, after_rank=delivery.method_rank, people=people, failed_from=delivery
    )
    delivery.status = DeliveryStatus.FAILED if rank is None else DeliveryStatus.FAILED_OVER
    delivery.save(update_fields=["status", "last_error", "claim_token"])
    if notification.incident_id:
        _record_on_timeline(delivery, notification, rank)


def _record_event(incident, kind, actor, message, **data):
    # The incident services import this package: importing theirs at load time is a cycle.
    from incidents.services.base import record_event

    record_event(incident, kind, actor, message, **data)


def _record_on_timeline(delivery, notification, rank):
    what = _(
        "%(audience)s: %(channel)s to %(address)s failed after %(attempts)s attempt(s) (%(error)s)"
    ) % {
        "audience": notification.get_audience_display(),
        "channel": delivery.get_channel_display(),
        "address": delivery.address,
        "attempts": delivery.attempts,
        "error": delivery.last_error[:200],
    }
    if rank is None:
        kind, message = TimelineKind.DELIVERY_FAILED, _("%(what)s; no backup method is left.")
        backup = None
    else:
        kind, message = (
            TimelineKind.DELIVERY_FAILOVER,
            _("%(what)s; sending by %(backup)s instead."),
        )
        backup = notification.methods[rank]["channel"]
    _record_event(
        notification.incident,
        kind,
        None,
        message % {"what": what, "backup": backup},
        before={"delivery": delivery.pk, "channel": delivery.channel},
        after={"channel": backup, "rank": rank},
    )


@transaction.atomic
def delivery_retry(*, delivery, actor):
    """Send a failed (or waiting) delivery again now, with a fresh set of attempts."""
    delivery = _locked(delivery.pk)
    if delivery.status not in (DeliveryStatus.FAILED, DeliveryStatus.PENDING):
        raise ValidationError(
            _("Delivery #%(id)s is %(status)s: only a failed or waiting delivery can be retried.")
            % {"id": delivery.pk, "status": delivery.get_status_display().lower()}
        )
    delivery.status = DeliveryStatus.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
    if delivery.notification.incident_id:
        _record_event(
            delivery.notification.incident,
            TimelineKind.DELIVERY_RETRIED,
            actor,
            _("%(channel)s to %(address)s: sending again.")
            % {"channel": delivery.get_channel_display(), "address": delivery.address},
            after={"delivery": delivery.pk},
        )
    transaction.on_commit(partial(publish, [delivery.pk]))
    return delivery
