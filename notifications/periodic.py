"""A periodic task never overlaps itself: a run that finds the previous one still holding the
lock returns at once, having done nothing.

The lock is a cache entry added atomically (`cache.add`: SET NX with an expiry on Redis, a
unique key in the database cache of the embedded default) that expires with the tasks' hard
time limit: a run killed with the lock held delays the next ones no longer than that. A cache
that cannot answer does not stop the sweeps and reminders: they run unlocked (each is harmless
to run twice), which is better than not at all.
"""

import functools
import logging
import uuid
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


def runs_alone(function: Callable[P, R]) -> Callable[P, R | None]:
    key = f"beacon:periodic-lock:{function.__module__}.{function.__qualname__}"

    @functools.wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R | None:
        token = uuid.uuid4().hex
        try:
            taken = cache.add(key, token, timeout=settings.CELERY_TASK_TIME_LIMIT)
        except Exception:  # whatever the cache backend raises
            logger.warning("%s: the cache cannot lock; running unlocked", key, exc_info=True)
            taken = None
        if taken is False:
            logger.info("%s: the previous run still holds the lock; skipped", key)
            return None
        try:
            return function(*args, **kwargs)
        finally:
            if taken and cache.get(key) == token:  # not a lock that expired and was retaken
                cache.delete(key)

    run.runs_alone = True  # type: ignore[attr-defined]  # a mark the task tests look for
    return run
