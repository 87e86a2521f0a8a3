"""Reminder benchmark: INCIDENTS active incidents whose status updates all fall due at once,
and the periodic task that reminds their commanders.

Run: `.venv/bin/python bench/reminders.py` (BENCH_INCIDENTS=1000 for a quicker look). Like
bench/fanout.py it creates, migrates and drops a PostgreSQL database of its own,
`beacon_bench_reminders` (SQLite without PostgreSQL), keeps its Redis keys under a prefix of
its own, runs production settings and one `celery worker --pool=prefork -c 2` in a subprocess,
with Slack and the SMS provider faked on 127.0.0.1.

Each incident has a commander of its own, reached by SMS through the provider's webhook, so
each reminder is one SMS and no per-address pacing orders them. Measured, from the common due
time: each reminder's first send attempt (its delivery claimed by a worker), as p50, p99 and
max against the 60 s goal; and, in this process before the worker starts, the queries of one
batch of 200 due incidents (a constant: the same for 10 as for 200).
"""

import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

import redis

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.fanout import KEY_PREFIX, REDIS_URL, create_database, production_env  # noqa: E402

DATABASE_NAME = os.environ.get("BENCH_DATABASE_NAME", "beacon_bench_reminders")

INCIDENTS = int(os.environ.get("BENCH_INCIDENTS", "10000"))
SAMPLE = 200  # incidents escalated in this process, as one batch, to count the queries
GOAL = 60.0  # seconds from due to the first send attempt
STALL = 180  # seconds without a new attempt (past the tasks' time limits): stalled


def commanders(count):
    """`count` people reached by SMS (no Slack account, no e-mail address): a commander each,
    so that no channel's per-address pacing orders the reminders."""
    from django.contrib.auth import get_user_model

    from people.models import UserPreference

    User = get_user_model()
    start = User.objects.count()
    people = User.objects.bulk_create(
        User(username=f"commander{start + n:05d}") for n in range(count)
    )
    UserPreference.objects.bulk_create(
        UserPreference(user=p, phone=f"+3360{p.pk:07d}") for p in people
    )
    return people


def populate(count, *, due):
    """`count` active SEV2 incidents, each with a commander of its own, all due at `due`."""
    from incidents.models import Incident
    from policy.models import IncidentType, SeverityLevel

    kind = IncidentType.objects.get_or_create(name="Outage", slug="outage")[0]
    severity = SeverityLevel.objects.get_or_create(name="SEV2", defaults={"rank": 2})[0]
    start = Incident.objects.count()
    Incident.objects.bulk_create(
        Incident(
            reference=f"INC-2026-{start + n:05d}",
            channel_name=f"inc_bench_{start + n:05d}",
            title=f"Bench outage {start + n}",
            incident_type=kind,
            severity=severity,
            declared_by=commander,
            commander=commander,
            declared_at=due - timedelta(minutes=30),
            acknowledged_at=due - timedelta(minutes=29),
            next_update_due=due,
            update_reminders=True,
            affects_customers=True,
            unplanned=True,
            exceeds_one_hour=True,
        )
        for n, commander in enumerate(commanders(count))
    )


def queries_per_batch():
    """One batch of SAMPLE due incidents (BEACON_ESCALATION_BATCH's default) in this process,
    after the tick's due query: its queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from incidents.models import Incident
    from incidents.services.escalation import escalate_incidents, escalations_due

    due = timezone.now() - timedelta(seconds=1)
    populate(SAMPLE, due=due)
    ids = escalations_due(now=due + timedelta(seconds=1))
    with CaptureQueriesContext(connection) as queries:
        sent = escalate_incidents(ids, now=due + timedelta(seconds=1))
    Incident.objects.all().delete()
    return len(queries), sent


def run():
    """Seconds from the due time to each reminder's first send attempt."""
    from django.utils import timezone

    from incidents.tasks import send_update_reminders
    from notifications.models import Delivery

    due = timezone.now()
    populate(INCIDENTS, due=due)
    ticked = (timezone.now() - due).total_seconds()
    print(f"Tick queued {ticked:.1f} s after the due time (the incidents written meanwhile)")
    send_update_reminders.delay()
    deliveries = Delivery.objects.filter(notification__event="update_reminder")
    done, moved = 0, time.monotonic()
    while done < INCIDENTS:
        if time.monotonic() - moved > STALL:
            sys.exit(
                f"reminders stalled: {done} of {INCIDENTS} attempted, none for {STALL} s (one run "
                "outlasting the task's time limits, and no beat in this bench to start the next)"
            )
        time.sleep(0.5)
        attempted = deliveries.filter(claimed_at__isnull=False).count()
        done, moved = attempted, time.monotonic() if attempted > done else moved
    return sorted(
        (claimed - due).total_seconds()
        for claimed in deliveries.values_list("claimed_at", flat=True)
    )


def main():
    database_url, drop_database = create_database(DATABASE_NAME)
    print(f"Database: {database_url}")
    from notifications.testing import FakeSlack, FakeWebhookReceiver
    from notifications.tests.worker_process import WorkerProcess

    with FakeSlack() as slack_api, FakeWebhookReceiver() as sms:
        env = production_env(database_url, slack_api, sms)
        from django.core.management import call_command
        from django.db import connections

        worker = WorkerProcess(env, key_prefix=KEY_PREFIX)
        try:
            call_command("migrate", verbosity=0)
            per_batch, sample_sent = queries_per_batch()
            worker.start().wait_ready()
            latencies = run()
        finally:
            if worker.process is not None:
                worker.stop()
            client = redis.Redis.from_url(REDIS_URL)
            for key in client.scan_iter(f"{KEY_PREFIX}*"):
                client.delete(key)
            connections.close_all()
            drop_database()
    report(per_batch, sample_sent, latencies)


def report(per_batch, sample_sent, latencies):
    print(
        f"Queries of one batch of {SAMPLE} due incidents ({sample_sent} sent): {per_batch}, "
        f"{per_batch / SAMPLE:.2f} per incident (the same for any batch size)"
    )
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"{INCIDENTS} reminders due at once, due → first send attempt:")
    print(
        f"  p50 {statistics.median(latencies):6.1f} s   p99 {p99:6.1f} s   "
        f"max {latencies[-1]:6.1f} s   ({latencies[-1] / GOAL:.2f} of the {GOAL:.0f} s goal)"
    )


if __name__ == "__main__":
    main()
