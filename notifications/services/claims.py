"""Claims on deliveries. A delivery in flight holds the token of the batch that claimed it:
only the holder records an outcome, and a claim older than the lease is the sweeper's to take
back (its worker died or hangs) — only then can a message go out twice, which is why every
message carries its delivery id."""

import logging
from datetime import datetime, timedelta

from django.conf import settings

from notifications.models import Delivery, DeliveryStatus

logger = logging.getLogger(__name__)


def locked(delivery_id: int) -> Delivery | None:
    return (
        Delivery.objects.select_for_update(of=("self",))
        .select_related("notification")
        .filter(pk=delivery_id)
        .first()
    )


def claimable(delivery: Delivery, now: datetime) -> bool:
    """Whether the delivery, as read, is due and not in flight."""
    if delivery.status == DeliveryStatus.SENDING:
        lease = timedelta(seconds=settings.BEACON_DELIVERY_LEASE_SECONDS)
        # Else in flight in another worker. A claim without a time (none is written so) is not
        # taken back, as the sweeper's query does not take it back either.
        return delivery.claimed_at is not None and delivery.claimed_at <= now - lease
    # A retry that is not due yet is left alone: its own task comes later.
    return delivery.status == DeliveryStatus.PENDING and delivery.next_attempt_at <= now


def reclaimed(delivery: Delivery) -> Delivery | None:
    """The delivery, locked, if this worker's claim still holds."""
    current = locked(delivery.pk)
    if current is None or current.claim_token != delivery.claim_token:
        logger.warning("Delivery %s: claim lost (taken back by the sweeper)", delivery.pk)
        return None
    return current
