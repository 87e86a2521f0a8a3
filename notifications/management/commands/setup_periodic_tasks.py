"""Install the periodic tasks declared in config/celery_routes.py into beat's database schedule.

Run on every deploy (and by `make run`): it adds new tasks, updates changed intervals and
removes tasks that are no longer declared in code.
"""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import IntervalSchedule, PeriodicTask

BUILT_IN = {"celery.backend_cleanup"}


class Command(BaseCommand):
    help = "Install the periodic tasks declared in code into django-celery-beat."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        for name, (task, seconds) in settings.BEACON_PERIODIC_TASKS.items():
            schedule, _ = IntervalSchedule.objects.get_or_create(
                every=seconds, period=IntervalSchedule.SECONDS
            )
            PeriodicTask.objects.update_or_create(
                name=name,
                defaults={
                    "task": task,
                    "interval": schedule,
                    "crontab": None,
                    "queue": settings.CELERY_TASK_ROUTES[task]["queue"],
                    "enabled": True,
                },
            )
        stale = PeriodicTask.objects.exclude(name__in=settings.BEACON_PERIODIC_TASKS).exclude(
            task__in=BUILT_IN
        )
        removed, _ = stale.delete()
        self.stdout.write(
            f"{len(settings.BEACON_PERIODIC_TASKS)} periodic task(s) installed, {removed} removed."
        )
