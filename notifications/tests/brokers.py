"""Point the project's Celery app at another broker for one test, then put it back."""

from contextlib import contextmanager

from config.celery_app import app as celery_app


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
