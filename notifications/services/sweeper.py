"""Re-queue what the broker or a worker lost: deliveries due but unsent, claims past their
lease, and response plans whose automated steps never ran."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from notifications.models import Delivery, DeliveryStatus, NotificationEvent

from .failures import delivery_give_up
from .outbox import publish


def deliveries_sweep(*, now: datetime | None = None, limit: int = 1000) -> int:
    now = now or timezone.now()
    grace = now - timedelta(seconds=settings.BEACON_SWEEP_GRACE_SECONDS)
    expired = now - timedelta(seconds=settings.BEACON_DELIVERY_LEASE_SECONDS)
    with transaction.atomic():
        stale = Delivery.objects.select_for_update(skip_locked=True).filter(
            Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=grace)
            | Q(status=DeliveryStatus.SENDING, claimed_at__lte=expired)
        )
        ids = list(stale.order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
        lost = Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.SENDING)
        # A claim past its lease never recorded its outcome: a worker died or hung sending
        # it. With its attempts spent, it is poison: given up, and failed over.
        poison = lost.filter(attempts__gte=settings.BEACON_DELIVERY_MAX_ATTEMPTS)
        for delivery in poison.select_related("notification"):
            delivery.lost_attempts += 1
            delivery_give_up(delivery)
        # A taken-back claim is pending again; the dead worker's token no longer counts.
        taken_back = set(lost.values_list("pk", flat=True))
        lost.update(
            status=DeliveryStatus.PENDING,
            claim_token=None,
            next_attempt_at=now,
            lost_attempts=F("lost_attempts") + 1,
        )
        queued = Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.PENDING)
        pages = set(
            queued.filter(notification__event=NotificationEvent.PAGE).values_list("pk", flat=True)
        )
        queued_ids = list(queued.order_by("next_attempt_at").values_list("pk", flat=True))
    for page in (False, True):
        group = [pk for pk in queued_ids if (pk in pages) == page]
        publish([pk for pk in group if pk not in taken_back], page=page)
        # One task each: a batch that killed its worker must not take the others down again.
        publish([pk for pk in group if pk in taken_back], page=page, batch_size=1)
    return len(ids)
