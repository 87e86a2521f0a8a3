"""Publishing that never holds a request up for long; the outbox rows wait for the sweeper.

Every publish is one attempt. Inside a request (`publishing_budget`, opened by
PublishBudgetMiddleware) the publishes share a budget, BEACON_PUBLISH_BUDGET_SECONDS: each
goes over a connection whose socket timeouts are BEACON_PUBLISH_TIMEOUT_SECONDS, and none
starts unless the budget can still pay that timeout. Outside a request (workers, beat,
commands) a publish has the broker's own socket timeouts.

After a failure every process of the host leaves the broker alone for
BEACON_BROKER_PAUSE_SECONDS, so that each web process does not pay the timeout again. The
moment is a file's modification time: the cache cannot hold it, it may live on the Redis that
is down. A successful publish (in any process) ends the pause.
"""

import atexit
import contextlib
import contextvars
import logging
import os
import queue
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from celery import Celery, Task
from django.conf import settings
from kombu.connection import ConnectionPool
from kombu.exceptions import LimitExceeded

logger = logging.getLogger(__name__)


class PublishBudget:
    """Seconds a request may spend publishing, and how many it has spent."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.spent = 0.0

    def affords(self, cost: float) -> bool:
        return self.spent + cost <= self.seconds


_budget: contextvars.ContextVar[PublishBudget | None] = contextvars.ContextVar(
    "publish_budget", default=None
)


@contextmanager
def publishing_budget(seconds: float | None = None) -> Iterator[PublishBudget]:
    budget = PublishBudget(settings.BEACON_PUBLISH_BUDGET_SECONDS if seconds is None else seconds)
    token = _budget.set(budget)
    try:
        yield budget
    finally:
        _budget.reset(token)


def try_publish(
    task: Task[..., Any], args: tuple[object, ...], *, countdown: float | None = None
) -> bool:
    """Queue a task; False when the broker is (recently) unreachable or the request's
    publishing budget is spent."""
    if broker_paused():
        return False
    budget = None if task.app.conf.task_always_eager else _budget.get()  # eager: no broker
    if budget is not None and not budget.affords(settings.BEACON_PUBLISH_TIMEOUT_SECONDS):
        logger.info("Publishing budget spent; %s waits for the sweeper", task.name)
        return False
    started = time.monotonic()
    try:
        # The stubs miss that Celery takes countdown=None and hands `connection` to the producer.
        if budget is None:
            task.apply_async(args, countdown=countdown, retry=False)  # type: ignore[arg-type]
        else:
            with _request_pool(task.app).acquire(block=True, timeout=budget.seconds) as connection:
                task.apply_async(  # type: ignore[call-arg]
                    args,
                    countdown=countdown,  # type: ignore[arg-type]
                    retry=False,
                    connection=connection,
                )
    except LimitExceeded:  # this process's other threads hold every connection: not the broker
        logger.info("No broker connection free; %s waits for the sweeper", task.name)
        return False
    except Exception as error:  # whatever the transport raises: the database keeps the work
        _pause()
        # Without the traceback: formatting it would cost the request more than the attempt.
        logger.warning("Broker unreachable (%r); %s waits for the sweeper", error, task.name)
        return False
    finally:
        if budget is not None:
            budget.spent += time.monotonic() - started
    _resume()
    return True


def broker_paused() -> bool:
    try:
        failed_at = Path(settings.BEACON_BROKER_DOWN_FILE).stat().st_mtime
    except OSError:  # none (no failure yet), or unreadable: no pause
        return False
    pause: float = settings.BEACON_BROKER_PAUSE_SECONDS
    return time.time() - failed_at < pause


def _pause() -> None:
    marker = Path(settings.BEACON_BROKER_DOWN_FILE)
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()  # the modification time is now, also when the file was there already
    except OSError as error:
        logger.warning("Cannot write %s (%s): publishing goes on without a pause", marker, error)


def _resume() -> None:
    with contextlib.suppress(OSError):
        Path(settings.BEACON_BROKER_DOWN_FILE).unlink(missing_ok=True)


Job = tuple[Task[..., Any], object]
STOP = None  # put on the queue by close(): publish what came before it, then end


class BackgroundPublisher:
    """A daemon thread of the process that publishes what requests hand it, so that the
    thread which answered is free for the next request at once. It holds no request up, so it
    has the broker's own socket timeouts, not a request's (a busy host would miss those and
    pause publishing). Started on first use in each process (a fork has no threads).

    A task it publishes takes a list of items: the items submitted within
    BEACON_BACKGROUND_PUBLISH_LINGER_SECONDS of the first travel as one message per task, so
    that a burst of requests costs the process one publish, not one each. A process that
    exits normally (a deploy, a server's worker restarts) publishes what waits at once
    (`close`, at exit); what a process killed has not published waits for the sweeper, like
    any publish that failed."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._lock = threading.Lock()

    def submit(self, task: Task[..., Any], item: object) -> None:
        if task.app.conf.task_always_eager:  # run in the caller's transaction, as tests expect
            try_publish(task, ([item],))
            return
        with self._lock:
            if self._pid != os.getpid():
                self._jobs, self._closing = queue.SimpleQueue(), threading.Event()
                self._thread = threading.Thread(
                    target=self._run, args=(self._jobs, self._closing), daemon=True
                )
                self._thread.start()
                self._pid = os.getpid()
        self._jobs.put((task, item))

    def close(self, timeout: float = 5.0) -> None:
        """Publish what waits without lingering, and end this process's thread (within
        `timeout`: a broker that does not answer leaves the rest to the sweeper)."""
        with self._lock:
            if self._pid != os.getpid() or self._thread is None:
                return
            thread, self._pid = self._thread, None
            self._closing.set()
            self._jobs.put(STOP)
        thread.join(timeout)

    @staticmethod
    def _run(jobs: queue.SimpleQueue[Job | None], closing: threading.Event) -> None:
        while (first := jobs.get()) is not STOP:
            batch, stopping = [first], False
            closing.wait(settings.BEACON_BACKGROUND_PUBLISH_LINGER_SECONDS)
            with contextlib.suppress(queue.Empty):
                while (job := jobs.get_nowait()) is not STOP:
                    batch.append(job)
                stopping = True
            for task, items in _items_by_task(batch).items():
                try:
                    try_publish(task, (items,))
                except Exception:  # the thread must outlive anything: the sweeper has the work
                    logger.exception("Background publish of %s failed", task.name)
            if stopping:
                return


def _items_by_task(batch: list[Job]) -> dict[Task[..., Any], list[object]]:
    items: dict[Task[..., Any], list[object]] = {}
    for task, item in batch:
        items.setdefault(task, []).append(item)
    return items


background_publisher = BackgroundPublisher()
publish_in_background = background_publisher.submit
atexit.register(background_publisher.close)


_pools: dict[tuple[str, str], ConnectionPool] = {}
_pools_lock = threading.Lock()


def _request_pool(app: Celery) -> ConnectionPool:
    """Connections with the request's short socket timeouts, per broker (a test switches)."""
    timeout = settings.BEACON_PUBLISH_TIMEOUT_SECONDS
    options = {
        **app.conf.broker_transport_options,
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
    }
    key = (app.conf.broker_write_url or app.conf.broker_url, repr(sorted(options.items())))
    with _pools_lock:
        if key not in _pools:
            connection = app.connection_for_write(transport_options=options)
            _pools[key] = connection.Pool(limit=app.conf.broker_pool_limit)
        return _pools[key]


def prepare(app: Celery) -> None:
    """Load the broker's client library and Celery's lazy parts once per process, at start,
    and open one connection: their imports and a first connection would cost the first
    request a few hundred milliseconds of its budget (and, past it, pause every process)."""
    pool = _request_pool(app)
    app.backend  # noqa: B018 (an attribute loaded on first use)
    app.amqp.router  # noqa: B018
    if app.conf.task_always_eager:
        return
    try:
        with pool.acquire(block=False) as connection:
            connection.default_channel  # noqa: B018 - connects (and sends nothing)
    except Exception as error:  # a broker down at start: the first publish tries again
        logger.info("No broker connection at start (%r)", error)
