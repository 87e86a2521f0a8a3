from celery import shared_task
from django.utils import timezone

from .models import WorkerHeartbeat


@shared_task(bind=True, name="notifications.tasks.record_heartbeat", ignore_result=True)
def record_heartbeat(self):
    WorkerHeartbeat.objects.update_or_create(
        name="worker",
        defaults={"last_seen": timezone.now(), "hostname": self.request.hostname or ""},
    )
