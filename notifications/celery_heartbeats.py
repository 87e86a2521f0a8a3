"""Where the workers and beat report their heartbeats (notifications/heartbeats.py): from
their own loops, not from a task, so that each proves only itself."""

import socket
import time

from celery import bootsteps
from django.conf import settings
from django_celery_beat.schedulers import DatabaseScheduler

from .heartbeats import BEAT, heartbeats_report, worker_part


class QueueHeartbeat(bootsteps.StartStopStep):
    """A worker's consumer reports for each queue it consumes, while it consumes them: the
    step starts after the task consumer, each time the broker connection is made, and stops
    when the connection is lost. config/celery_app.py adds it to every worker."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent, **kwargs):
        super().__init__(parent, **kwargs)
        self.timer_entry = None

    def start(self, c):
        parts = [worker_part(queue.name) for queue in c.task_consumer.queues]

        def report():
            heartbeats_report(parts=parts, hostname=c.hostname)

        report()
        self.timer_entry = c.timer.call_repeatedly(settings.BEACON_HEARTBEAT_SECONDS, report)

    def stop(self, c):
        if self.timer_entry is not None:
            self.timer_entry.cancel()
            self.timer_entry = None

    shutdown = stop


class HeartbeatScheduler(DatabaseScheduler):
    """django-celery-beat's scheduler, reporting beat's heartbeat from its scheduling loop."""

    next_heartbeat = 0.0  # monotonic time

    def tick(self, *args, **kwargs):
        interval = settings.BEACON_HEARTBEAT_SECONDS
        now = time.monotonic()
        if now >= self.next_heartbeat:
            heartbeats_report(parts=[BEAT], hostname=socket.gethostname())
            self.next_heartbeat = now + interval
        return min(super().tick(*args, **kwargs), self.next_heartbeat - now)
