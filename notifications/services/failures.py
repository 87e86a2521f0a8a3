"""What happens when a delivery is not sent: a retry after a back-off (or the provider's wait),
the next method once the attempts are spent (failover), giving up on a poison delivery, and a
person asking to send again."""

import logging
import random
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications import about
from notifications.channels import DeliveryError
from notifications.models import Delivery, DeliveryStatus
from notifications.signals import Outcome, delivery_outcome

from .claims import locked, reclaimed
from .outbox import is_page, open_next_method, publish

logger = logging.getLogger(__name__)


def backoff_seconds(attempt: int) -> float:
    """Exponential with full jitter on the upper half: 2, 4, 8 … s (base from settings)."""
    ceiling: float = min(
        settings.BEACON_DELIVERY_BACKOFF_SECONDS * 2 ** (attempt - 1),
        settings.BEACON_DELIVERY_BACKOFF_MAX_SECONDS,
    )
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def _affordable_wait(delivery: Delivery) -> int | None:
    """Seconds a page may wait for its provider (the bound registered for what it is about,
    an incident's severity say); None for other deliveries, which wait as long as asked."""
    notification = delivery.notification
    if not is_page(notification):
        return None
    limit = about.page_wait_limit(notification)
    return limit if limit is not None else settings.BEACON_PAGE_WAIT_LIMIT_SECONDS


@transaction.atomic
def record_failure(claimed: Delivery, error: DeliveryError) -> str | None:
    delivery = reclaimed(claimed)
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


def delivery_give_up(delivery: Delivery) -> None:
    """A poison delivery: its attempts ran out without an outcome (its worker died or hung
    while sending). It fails over like any failed delivery. Called with the row locked."""
    delivery.dead_at = timezone.now()
    delivery.claim_token = None
    delivery.last_error = _(
        "the worker died or hung while sending (%(lost)s of %(attempts)s attempts)"
    ) % {"lost": delivery.lost_attempts, "attempts": delivery.attempts}
    delivery.save(update_fields=["dead_at", "lost_attempts"])
    _fail_over(delivery)


def _fail_over(delivery: Delivery) -> None:
    notification = delivery.notification
    User = get_user_model()
    people = (
        [delivery.recipient]
        if delivery.recipient is not None
        else list(User.objects.filter(pk__in=notification.people, is_active=True).order_by("pk"))
    )
    rank = open_next_method(
        notification, after_rank=delivery.method_rank, people=people, failed_from=delivery
    )
    delivery.status = DeliveryStatus.FAILED if rank is None else DeliveryStatus.FAILED_OVER
    delivery.save(update_fields=["status", "last_error", "claim_token"])
    outcome = Outcome.FAILED if rank is None else Outcome.FAILED_OVER
    delivery_outcome.send(
        sender=Delivery, delivery=delivery, outcome=outcome, backup_rank=rank, actor=None
    )


@transaction.atomic
def delivery_retry(*, delivery: Delivery, actor: AbstractBaseUser) -> Delivery:
    """Send a failed (or waiting) delivery again now, with a fresh set of attempts."""
    current = locked(delivery.pk)
    if current is None:
        raise Delivery.DoesNotExist
    delivery = current
    if delivery.status not in (DeliveryStatus.FAILED, DeliveryStatus.PENDING):
        raise ValidationError(
            _("Delivery #%(id)s is %(status)s: only a failed or waiting delivery can be retried.")
            % {"id": delivery.pk, "status": delivery.get_status_display().lower()}
        )
    delivery.status = DeliveryStatus.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
    delivery_outcome.send(
        sender=Delivery, delivery=delivery, outcome=Outcome.RETRIED, backup_rank=None, actor=actor
    )
    transaction.on_commit(partial(publish, [delivery.pk], page=is_page(delivery.notification)))
    return delivery
