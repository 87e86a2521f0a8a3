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

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents.models import TimelineKind
from incidents.selectors import policy_level
from notifications.channels import DeliveryError, OutgoingMessage, RetryableError, get_adapter
from notifications.models import ChannelPace, Delivery, DeliveryStatus

from .outbox import is_page, open_next_method, publish

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


def _claimable(delivery, now):
    """Whether the delivery, as read, is due and not in flight."""
    if delivery.status == DeliveryStatus.SENDING:
        lease = timedelta(seconds=settings.BEACON_DELIVERY_LEASE_SECONDS)
        return delivery.claimed_at <= now - lease  # else in flight in another worker
    # A retry that is not due yet is left alone: its own task comes later.
    return delivery.status == DeliveryStatus.PENDING and delivery.next_attempt_at <= now


def _claim(delivery):
    """The delivery, claimed for one attempt, or None. One conditional UPDATE: the row must be
    as it was read, else another task, worker or the sweeper has changed it since."""
    now = timezone.now()
    if not _claimable(delivery, now):
        return None
    if delivery.attempts >= settings.BEACON_DELIVERY_MAX_ATTEMPTS:
        _give_up_if_unchanged(delivery, now)
        return None
    token = uuid.uuid4()
    claimed = Delivery.objects.filter(
        pk=delivery.pk,
        status=delivery.status,
        attempts=delivery.attempts,
        claim_token=delivery.claim_token,
        claimed_at=delivery.claimed_at,
        next_attempt_at=delivery.next_attempt_at,
    ).update(
        status=DeliveryStatus.SENDING, claim_token=token, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    # Given back to wait for its slot (_give_back), it comes back holding that slot.
    delivery.kept_slot = (
        delivery.next_attempt_at if delivery.claimed_at == delivery.next_attempt_at else None
    )
    delivery.status, delivery.claim_token, delivery.claimed_at = DeliveryStatus.SENDING, token, now
    delivery.attempts += 1
    return delivery


@transaction.atomic
def _give_up_if_unchanged(delivery, now):
    locked = _locked(delivery.pk)
    if locked is not None and locked.attempts == delivery.attempts and _claimable(locked, now):
        delivery_give_up(locked)


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


def deliveries_send(delivery_ids):
    """Send the due, unsent deliveries among `delivery_ids`, one after the other; returns the
    status of each this call claimed. Each is claimed only when its turn comes: a worker that
    dies takes down one attempt, not the batch's."""
    rows = Delivery.objects.select_related("notification").filter(
        pk__in=delivery_ids, status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING]
    )
    outcomes = {}
    for delivery in rows.order_by("pk"):
        delivery = _claim(delivery)
        if delivery is not None:
            outcomes[delivery.pk] = _attempt(delivery)
    return outcomes


def delivery_send(delivery_id):
    """Send one delivery if it is due and unsent; its status, or None if not ours."""
    return deliveries_send([delivery_id]).get(delivery_id)


def _attempt(delivery):
    slot = _slot(delivery)
    wait = (slot - timezone.now()).total_seconds()
    if wait > PACING_SLEEP_AT_MOST:
        return _give_back(delivery, slot)
    time.sleep(max(0, wait))
    try:
        reference = get_adapter(delivery.channel).send(_message(delivery))
    except DeliveryError as error:
        return _record_failure(delivery, error)
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
    page = is_page(delivery.notification)
    transaction.on_commit(partial(publish, [delivery.pk], countdown=wait, page=page))
    return delivery.status


def _reclaimed(delivery):
    """The delivery, locked, if this worker's claim still holds."""
    current = _locked(delivery.pk)
    if current is None or current.claim_token != delivery.claim_token:
        logger.warning("Delivery %s: claim lost (taken back by the sweeper)", delivery.pk)
        return None
    return current


def _record_sent(delivery, reference):
    recorded = Delivery.objects.filter(pk=delivery.pk, claim_token=delivery.claim_token).update(
        status=DeliveryStatus.SENT,
        sent_at=timezone.now(),
        provider_reference=(reference or "")[:200],
        claim_token=None,
    )
    if not recorded:
        logger.warning("Delivery %s: claim lost (taken back by the sweeper)", delivery.pk)
        return None
    return DeliveryStatus.SENT


def backoff_seconds(attempt):
    """Exponential with full jitter on the upper half: 2, 4, 8 … s (base from settings)."""
    ceiling = min(
        settings.BEACON_DELIVERY_BACKOFF_SECONDS * 2 ** (attempt - 1),
        settings.BEACON_DELIVERY_BACKOFF_MAX_SECONDS,
    )
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def _affordable_wait(delivery):
    """Seconds a page may wait for its provider (its severity's bound); None for other
    deliveries, which wait as long as they are asked."""
    notification = delivery.notification
    if not is_page(notification):
        return None
    incident = notification.incident
    level = incident and policy_level(version=incident.policy_version, severity=incident.severity)
    return level.page_wait_limit if level else settings.BEACON_PAGE_WAIT_LIMIT_SECONDS


@transaction.atomic
def _record_failure(delivery, error):
    delivery = _reclaimed(delivery)
    if delivery is None:
        return None
    delivery.last_error = str(error)[:2000]
    delivery.claim_token = None
    wait = max(backoff_seconds(delivery.attempts), error.retry_after or 0)
    affordable = _affordable_wait(delivery)
    if affordable is not None and wait > affordable:  # the page fails over now instead
        delivery.last_error = _(
            "%(error)s; a page cannot wait %(wait)d s (at most %(limit)d s)"
        ) % {
            "error": delivery.last_error[:1900],
            "wait": wait,
            "limit": affordable,
        }
    elif error.retryable and delivery.attempts < settings.BEACON_DELIVERY_MAX_ATTEMPTS:
        delivery.status = DeliveryStatus.PENDING
        delivery.next_attempt_at = timezone.now() + timedelta(seconds=wait)
        delivery.save(update_fields=["status", "next_attempt_at", "last_error", "claim_token"])
        page = is_page(delivery.notification)
        transaction.on_commit(partial(publish, [delivery.pk], countdown=wait, page=page))
        return delivery.status
    _fail_over(delivery)
    return delivery.status


def delivery_give_up(delivery):
    """A poison delivery: its attempts ran out without an outcome (its worker died or hung
    while sending). It fails over like any failed delivery. Called with the row locked."""
    delivery.dead_at = timezone.now()
    delivery.claim_token = None
    delivery.last_error = _(
        "the worker died or hung while sending (%(lost)s of %(attempts)s attempts)"
    ) % {"lost": delivery.lost_attempts, "attempts": delivery.attempts}
    delivery.save(update_fields=["dead_at", "lost_attempts"])
    _fail_over(delivery)


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
    transaction.on_commit(partial(publish, [delivery.pk], page=is_page(delivery.notification)))
    return delivery
