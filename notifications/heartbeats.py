"""Each part of the background machinery reports that it runs: every worker for each queue it
consumes, and beat. /readyz and the metric read their ages, so a stopped beat or a queue that
no worker consumes ("pages") is named, not guessed from work that is not done."""

import logging
from collections.abc import Sequence

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from .models import WorkerHeartbeat

logger = logging.getLogger(__name__)

BEAT = "beat"


def worker_part(queue: str) -> str:
    return f"worker:{queue}"


def expected_parts() -> list[str]:
    return [BEAT, *(worker_part(queue) for queue in settings.BEACON_QUEUES)]


def heartbeats_record(*, parts: Sequence[str], hostname: str) -> None:
    """One query for all `parts`; the row of each part holds its latest report, whoever sent it."""
    now = timezone.now()
    WorkerHeartbeat.objects.bulk_create(
        [WorkerHeartbeat(name=part, last_seen=now, hostname=hostname) for part in parts],
        update_conflicts=True,
        unique_fields=["name"],
        update_fields=["last_seen", "hostname"],
    )


def heartbeats_report(*, parts: Sequence[str], hostname: str) -> None:
    """Record from a worker's or beat's own loop: a database that is away is logged, never
    raised (the loop must go on), and the connection is closed, so no idle one goes stale."""
    try:
        heartbeats_record(parts=parts, hostname=hostname)
    except DatabaseError:
        logger.warning("Heartbeat of %s not recorded", ", ".join(parts), exc_info=True)
    finally:
        connection.close()


def heartbeat_ages() -> dict[str, float | None]:
    """Seconds since each expected part last reported; None for a part never heard from."""
    parts = expected_parts()
    seen = dict(WorkerHeartbeat.objects.filter(name__in=parts).values_list("name", "last_seen"))
    now = timezone.now()
    return {part: (now - seen[part]).total_seconds() if part in seen else None for part in parts}
