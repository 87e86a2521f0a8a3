"""Re-queue what the broker or a worker lost: deliveries due but unsent, claims past their
lease, and response plans whose automated steps never ran."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from notifications.models import Delivery, DeliveryStatus

from .outbox import publish


def deliveries_sweep(*, now=None, limit=1000):
    now = now or timezone.now()
    grace = now - timedelta(seconds=settings.BEACON_SWEEP_GRACE_SECONDS)
    expired = now - timedelta(seconds=settings.BEACON_DELIVERY_LEASE_SECONDS)
    with transaction.atomic():
        stale = Delivery.objects.select_for_update(skip_locked=True).filter(
            Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=grace)
            | Q(status=DeliveryStatus.SENDING, claimed_at__lte=expired)
        )
        ids = list(stale.order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
        # A taken-back claim is pending again; the dead worker's token no longer counts.
        Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.SENDING).update(
            status=DeliveryStatus.PENDING, claim_token=None, next_attempt_at=now
        )
    publish(ids)
    return len(ids)
