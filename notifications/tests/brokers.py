"""Point the project's Celery app at another broker for one test, then put it back; and
require the Redis those tests run on."""

import os
from contextlib import contextmanager

import pytest
import redis

from config.celery_app import app as celery_app


def redis_or_skip(url):
    """A client of the Redis at `url`; the test is skipped with the reason when none answers,
    or fails when BEACON_REQUIRE_BROKER is set (CI sets it: a missing Redis must not hide)."""
    client = redis.Redis.from_url(url, socket_timeout=1)
    try:
        client.ping()
    except redis.RedisError as error:
        message = f"needs a Redis broker at {url}: {error}"
        if os.environ.get("BEACON_REQUIRE_BROKER"):
            pytest.fail(message)
        pytest.skip(message)
    return client


def _drop_connection_pools():
    # Celery caches both pools on first use; they would keep talking to the old broker.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextmanager
def celery_broker(url, **conf):
    changes = {"broker_url": url, "broker_transport_options": {}, **conf}
    saved = {key: celery_app.conf[key] for key in changes}
    celery_app.conf.update(changes)
    _drop_connection_pools()
    try:
        yield celery_app
    finally:
        celery_app.conf.update(saved)
        _drop_connection_pools()
