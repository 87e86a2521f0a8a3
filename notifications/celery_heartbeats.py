"""Where the workers and beat report their heartbeats (notifications/heartbeats.py): from
their own loops, not from a task, so that each proves only itself."""

import socket
import time
from typing import Any

from celery import bootsteps
from celery.worker.consumer import Consumer
from django.conf import settings
from django_celery_beat.schedulers import DatabaseScheduler
from kombu.asynchronous.timer import Entry

from .heartbeats import BEAT, heartbeats_report, worker_part


class QueueHeartbeat(bootsteps.StartStopStep):
    """A worker's consumer reports for each queue it consumes, while it consumes them: the
    step starts after the task consumer, each time the broker connection is made, and stops
    when the connection is lost. config/celery_app.py adds it to every worker."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent: Consumer, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.timer_entry: Entry | None = None

    def start(self, c: Consumer) -> None:
        # The Tasks step this one requires sets task_consumer; the stubs do not declare it.
        queues = c.task_consumer.queues  # type: ignore[attr-defined]
        parts = [worker_part(queue.name) for queue in queues]

        def report() -> None:
            heartbeats_report(parts=parts, hostname=c.hostname)

        report()
        self.timer_entry = c.timer.call_repeatedly(settings.BEACON_HEARTBEAT_SECONDS, report)

    def stop(self, c: Consumer) -> None:
        if self.timer_entry is not None:
            self.timer_entry.cancel()
            self.timer_entry = None

    shutdown = stop


# django-celery-beat ships no types: its scheduler is Any to the type checker.
class HeartbeatScheduler(DatabaseScheduler):  # type: ignore[misc]
    """django-celery-beat's scheduler, reporting beat's heartbeat from its scheduling loop."""

    next_heartbeat = 0.0  # monotonic time

    def tick(self, *args: Any, **kwargs: Any) -> float:
        interval = settings.BEACON_HEARTBEAT_SECONDS
        now = time.monotonic()
        if now >= self.next_heartbeat:
            heartbeats_report(parts=[BEAT], hostname=socket.gethostname())
            self.next_heartbeat = now + interval
        wait: float = super().tick(*args, **kwargs)
        return min(wait, self.next_heartbeat - now)
