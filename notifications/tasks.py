"""Celery tasks take ids, re-read, and are harmless to run twice (the services see to it)."""

from celery import shared_task
from django.conf import settings

from .periodic import runs_alone
from .services import deliveries_send, deliveries_sweep
from .services.outbox import DELIVER, DELIVER_PAGE
from .sweeps import run_chores

# A batch stops taking new sends at a quarter of the lease; its limits sit well within the
# lease, so the sweeper never hands a delivery still being sent to a second worker.
SENDING_LIMITS = {
    "soft_time_limit": settings.BEACON_DELIVERY_SOFT_TIME_LIMIT,
    "time_limit": settings.BEACON_DELIVERY_TIME_LIMIT,
}


@shared_task(name=DELIVER, ignore_result=True, **SENDING_LIMITS)
def deliver(delivery_ids: list[int]) -> None:
    """Send a batch of deliveries. Retries are scheduled by the service (with the provider's
    wait), each delivery on its own."""
    deliveries_send(delivery_ids)


@shared_task(name=DELIVER_PAGE, ignore_result=True, **SENDING_LIMITS)
def deliver_page(delivery_ids: list[int]) -> None:
    """Send a batch of pages: the same as `deliver`, on the pages queue."""
    deliveries_send(delivery_ids)


@shared_task(name="notifications.tasks.sweep", ignore_result=True)
@runs_alone
def sweep() -> dict[str, int]:
    """Re-queue the deliveries left behind, then run the chores registered (sweeps.py)."""
    return {"deliveries": deliveries_sweep(), **run_chores()}
