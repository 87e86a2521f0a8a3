"""Publishing that never blocks a request: one bounded attempt, and after a failure the
broker is left alone for a few seconds (the outbox rows wait for the sweeper meanwhile), so a
request that writes several notifications pays the timeout once, not once per message."""

import logging
import time

logger = logging.getLogger(__name__)

PAUSE_AFTER_FAILURE = 5.0  # seconds
_failed_at = None


def try_publish(task, args, *, countdown=None):
    """Queue a task; False when the broker is (recently) unreachable."""
    global _failed_at
    if _failed_at is not None and time.monotonic() - _failed_at < PAUSE_AFTER_FAILURE:
        return False
    try:
        task.apply_async(args, countdown=countdown, retry=False)
    except Exception:  # whatever the transport raises: the database keeps the work
        _failed_at = time.monotonic()
        logger.warning("Broker unreachable; %s waits for the sweeper", task.name, exc_info=True)
        return False
    _failed_at = None
    return True
