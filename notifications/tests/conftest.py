import os

import pytest
from celery.signals import task_postrun
from django.db import connections

from config.celery_routes import QUEUES
from notifications.tests.brokers import celery_broker, redis_or_skip

# The fault tests' fixtures, for the fault tests of other modules too.
from .test_faults import broker, commander, redis_proxy, workers  # noqa: F401

REDIS_URL = os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_worker(transactional_db):
    """A real Celery worker consuming from Redis, in this process (solo pool).

    Skipped with the reason when Redis is not reachable, unless BEACON_REQUIRE_BROKER is set
    (CI sets it), in which case a missing Redis fails the test instead of hiding it.
    """
    from celery.contrib.testing.worker import start_worker

    redis_or_skip(REDIS_URL)
    # The worker thread opens its own database connection: close it after each task, or the
    # test database cannot be dropped at the end of the run.
    task_postrun.connect(_close_thread_connections)
    with celery_broker(REDIS_URL, task_always_eager=False) as app:
        with app.connection_for_write() as conn:
            for queue in QUEUES:  # leftovers of an earlier, killed run
                conn.default_channel.queue_purge(queue)
        with start_worker(
            app, pool="solo", perform_ping_check=False, shutdown_timeout=10, queues=list(QUEUES)
        ) as worker:
            yield worker
    task_postrun.disconnect(_close_thread_connections)


def _close_thread_connections(**kwargs):
    connections.close_all()
