"""Celery tasks take ids, re-read, and are harmless to run twice (the services see to it)."""

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .models import WorkerHeartbeat
from .periodic import runs_alone
from .services import deliveries_sweep, delivery_send


@shared_task(bind=True, name="notifications.tasks.record_heartbeat", ignore_result=True)
def record_heartbeat(self):
    WorkerHeartbeat.objects.update_or_create(
        name="worker",
        defaults={"last_seen": timezone.now(), "hostname": self.request.hostname or ""},
    )


@shared_task(
    name="notifications.tasks.deliver",
    ignore_result=True,
    soft_time_limit=settings.BEACON_DELIVERY_SOFT_TIME_LIMIT,
    time_limit=settings.BEACON_DELIVERY_TIME_LIMIT,
)
def deliver(delivery_id):
    """Send one delivery. Retries are scheduled by the service (with the provider's wait)."""
    return delivery_send(delivery_id)


@shared_task(name="notifications.tasks.sweep", ignore_result=True)
@runs_alone
def sweep():
    from incidents.services.response_plan import response_plans_sweep

    return {"deliveries": deliveries_sweep(), "plans": response_plans_sweep()}
