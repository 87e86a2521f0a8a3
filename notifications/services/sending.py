"""Sending deliveries in batches: claim a batch at once, send each outside any transaction,
record those sent a few at a time (claims.py holds the rules of a claim, failures.py what a
failure leads to).

Some channels are paced: Slack takes about one message a second per channel, so deliveries to
one address of such a channel take turns (slots), whichever worker process sends them.
"""

import enum
import logging
import time
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from functools import partial

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from notifications.channels import DeliveryError, OutgoingMessage, RetryableError, get_adapter
from notifications.models import ChannelPace, Delivery, DeliveryStatus

from .chores import WAIT_FOR_MESSAGES_SECONDS, waits_for_messages
from .claims import claimable, reclaimed
from .failures import delivery_give_up, record_failure
from .outbox import is_page, publish

logger = logging.getLogger(__name__)

# A slot this close is waited for in the worker; a later one sends the delivery back to wait.
PACING_SLEEP_AT_MOST = 0.2  # seconds
# A slot taken with the batch but passed by more than this is taken again: two messages to one
# address stay an interval apart (less this) however long the batch took to reach the second.
PACING_LATE_AT_MOST = 0.1  # seconds
# Deliveries sent are recorded this many at a time, or after this long: a worker killed before
# recording them sends them again (with the same idempotency key).
RECORD_EVERY = 25
RECORD_AFTER = 0.25  # seconds


class _Sent(enum.Enum):
    WENT_OUT = "went out"


WENT_OUT = _Sent.WENT_OUT  # an attempt's outcome: sent, not recorded yet


def deliveries_send(delivery_ids: Iterable[int]) -> dict[int, str | None]:
    """Send the due, unsent deliveries among `delivery_ids`; returns the status of each this
    call claimed. A batch stops after a quarter of the lease and gives back what it has not
    reached, so that no claim it holds nears the lease."""
    claimed, token = _claim_batch(delivery_ids)
    slots = _reserve_slots(claimed)
    deadline = time.monotonic() + settings.BEACON_DELIVERY_LEASE_SECONDS / 4
    outcomes: dict[int, str | None] = {}
    unrecorded: list[Delivery] = []
    recorded_at = time.monotonic()
    try:
        for position, delivery in enumerate(claimed):
            if time.monotonic() > deadline:
                _release(claimed[position:], token)
                break
            outcome = _attempt(delivery, slots.get(delivery.pk))
            if outcome is not WENT_OUT:
                outcomes[delivery.pk] = outcome
                continue
            unrecorded.append(delivery)
            if len(unrecorded) >= RECORD_EVERY or time.monotonic() - recorded_at > RECORD_AFTER:
                outcomes.update(_record_sent(unrecorded, token))
                unrecorded, recorded_at = [], time.monotonic()
    finally:
        if unrecorded:
            outcomes.update(_record_sent(unrecorded, token))
    return outcomes


def delivery_send(delivery_id: int) -> str | None:
    """Send one delivery if it is due and unsent; its status, or None if not ours."""
    return deliveries_send([delivery_id]).get(delivery_id)


def _claim_batch(delivery_ids: Iterable[int]) -> tuple[list[Delivery], uuid.UUID]:
    """The due deliveries among `delivery_ids`, claimed for one attempt each under one token,
    in one transaction. Rows another worker has locked are its own; a delivery whose attempts
    are spent is not tried again (its worker died on each): it is given up."""
    now, token = timezone.now(), uuid.uuid4()
    with transaction.atomic():
        rows = (
            Delivery.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("notification")
            .filter(
                pk__in=delivery_ids, status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING]
            )
            .order_by("pk")
        )
        due = [delivery for delivery in rows if claimable(delivery, now)]
        for delivery in due:
            if delivery.status == DeliveryStatus.SENDING:  # a claim past its lease: lost
                delivery.lost_attempts += 1
        spent = [d for d in due if d.attempts >= settings.BEACON_DELIVERY_MAX_ATTEMPTS]
        for delivery in spent:
            delivery_give_up(delivery)
        claimed = [delivery for delivery in due if delivery not in spent]
        lost = [d.pk for d in claimed if d.status == DeliveryStatus.SENDING]
        Delivery.objects.filter(pk__in=lost).update(lost_attempts=F("lost_attempts") + 1)
        Delivery.objects.filter(pk__in=[delivery.pk for delivery in claimed]).update(
            status=DeliveryStatus.SENDING,
            claim_token=token,
            claimed_at=now,
            attempts=F("attempts") + 1,
        )
    for delivery in claimed:
        # Given back to wait for its slot (_give_back), it comes back holding that slot.
        delivery.kept_slot = (
            delivery.next_attempt_at if delivery.claimed_at == delivery.next_attempt_at else None
        )
        delivery.status, delivery.claim_token, delivery.claimed_at = (
            DeliveryStatus.SENDING,
            token,
            now,
        )
        delivery.attempts += 1
    return claimed, token


def _attempt(delivery: Delivery, reserved_slot: datetime | None) -> str | None | _Sent:
    """Send a claimed delivery: WENT_OUT (to be recorded), else its status as recorded (None
    when the claim was lost meanwhile)."""
    if waits_for_messages(delivery):
        return _give_back(delivery, timezone.now() + timedelta(seconds=WAIT_FOR_MESSAGES_SECONDS))
    slot = _slot_for(delivery, reserved_slot)
    wait = (slot - timezone.now()).total_seconds()
    if wait > PACING_SLEEP_AT_MOST:
        return _give_back(delivery, slot)
    if wait > 0:
        time.sleep(wait)
    try:
        reference = get_adapter(delivery.channel).send(_message(delivery))
    except DeliveryError as error:
        return record_failure(delivery, error)
    except SoftTimeLimitExceeded:  # a provider that hangs: cut well before the lease ends
        logger.warning("Delivery %s: cut at the task's soft time limit", delivery.pk)
        return record_failure(delivery, RetryableError("The send took too long; cut."))
    except Exception as error:  # an unexpected library error: retry, then fail over
        logger.exception("Delivery %s: unexpected error", delivery.pk)
        return record_failure(delivery, RetryableError(f"{type(error).__name__}: {error}"))
    delivery.sent_at = timezone.now()
    delivery.provider_reference = (reference or "")[:200]
    return WENT_OUT


@transaction.atomic
def _record_sent(deliveries: Sequence[Delivery], token: uuid.UUID) -> dict[int, str | None]:
    """Record deliveries sent, together; those whose claim was taken back meanwhile (by the
    sweeper) are left as they are."""
    ids = [delivery.pk for delivery in deliveries]
    rows = Delivery.objects.select_for_update().filter(pk__in=ids, claim_token=token)
    held = set(rows.values_list("pk", flat=True))
    for pk in set(ids) - held:
        logger.warning("Delivery %s: claim lost (taken back by the sweeper)", pk)
    recorded = [delivery for delivery in deliveries if delivery.pk in held]
    for delivery in recorded:
        delivery.status, delivery.claim_token = DeliveryStatus.SENT, None
    fields = ["status", "sent_at", "provider_reference", "claim_token"]
    Delivery.objects.bulk_update(recorded, fields)
    return dict.fromkeys(held, DeliveryStatus.SENT)


def _release(deliveries: Sequence[Delivery], token: uuid.UUID) -> None:
    """Give back claims not tried yet, the attempts not counted, and queue them again."""
    ids = [delivery.pk for delivery in deliveries]
    Delivery.objects.filter(pk__in=ids, claim_token=token).update(
        status=DeliveryStatus.PENDING,
        claim_token=None,
        attempts=F("attempts") - 1,
        next_attempt_at=timezone.now(),
    )
    pages = [delivery.pk for delivery in deliveries if is_page(delivery.notification)]
    publish([pk for pk in ids if pk not in pages])
    if pages:
        publish(pages, page=True)


def _message(delivery: Delivery) -> OutgoingMessage:
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


def _interval(channel: str) -> timedelta | None:
    seconds = settings.BEACON_CHANNEL_MIN_INTERVAL_SECONDS.get(channel)
    return timedelta(seconds=seconds) if seconds else None


def _reserve_slots(deliveries: Sequence[Delivery]) -> dict[int, datetime]:
    """A slot for each paced delivery of a batch, taken in one transaction. Pacing is done
    here and not in the adapter: adapters never touch models, and the slots must be shared
    by every worker process, so they are kept in the database."""
    paced = [
        (d, interval) for d in deliveries if (interval := _interval(d.channel)) and not d.kept_slot
    ]
    if not paced:
        return {}
    pairs = {(delivery.channel, delivery.address) for delivery, _ in paced}
    now = timezone.now()
    with transaction.atomic():
        ChannelPace.objects.bulk_create(
            [ChannelPace(channel=c, address=a, next_slot_at=now) for c, a in pairs],
            ignore_conflicts=True,
        )
        of_pairs = Q()
        for channel, address in pairs:
            of_pairs |= Q(channel=channel, address=address)
        locked = ChannelPace.objects.select_for_update().filter(of_pairs).order_by("pk")
        paces = {(pace.channel, pace.address): pace for pace in locked}
        now = timezone.now()  # after waiting for the locks
        slots = {}
        for delivery, interval in paced:
            pace = paces[delivery.channel, delivery.address]
            slots[delivery.pk] = max(now, pace.next_slot_at)
            pace.next_slot_at = slots[delivery.pk] + interval
        ChannelPace.objects.bulk_update(paces.values(), ["next_slot_at"])
    return slots


def _slot_for(delivery: Delivery, reserved_slot: datetime | None) -> datetime:
    """When the delivery may go out: now, its kept or reserved slot, or one taken now."""
    interval = _interval(delivery.channel)
    now = timezone.now()
    if not interval:
        return now
    if delivery.kept_slot and now < delivery.kept_slot + interval:
        return now  # its own slot; one missed (a late task, the sweeper) is gone
    if reserved_slot and (now - reserved_slot).total_seconds() <= PACING_LATE_AT_MOST:
        return reserved_slot
    return _slot(delivery, interval, reserved_slot)


def _slot(
    delivery: Delivery, interval: timedelta, reserved_slot: datetime | None = None
) -> datetime:
    """The next free slot of the delivery's address, taken alone. A reserved slot nobody
    reserved after is moved to now rather than given up."""
    with transaction.atomic():
        pace, _created = ChannelPace.objects.select_for_update().get_or_create(
            channel=delivery.channel,
            address=delivery.address,
            defaults={"next_slot_at": timezone.now()},
        )
        now = timezone.now()  # after waiting for the lock
        if reserved_slot and pace.next_slot_at == reserved_slot + interval:
            slot = now
        else:
            slot = max(now, pace.next_slot_at)
        pace.next_slot_at = slot + interval
        pace.save(update_fields=["next_slot_at"])
    return slot


@transaction.atomic
def _give_back(claimed: Delivery, slot: datetime) -> str | None:
    """Pending again until its slot, the attempt not counted. It keeps the slot: `claimed_at`
    equal to `next_attempt_at` says so (nothing else makes them equal)."""
    delivery = reclaimed(claimed)
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
