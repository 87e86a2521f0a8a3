"""The project's WSGI application for gunicorn in a fault test, publishing with a Redis key
prefix (BEACON_TEST_KEY_PREFIX) as the test's workers consume with one (worker_process.py):
`gunicorn notifications.tests.web_process:application`."""

import os

from config.celery_app import app as celery_app

celery_app.conf.broker_transport_options = {
    **celery_app.conf.broker_transport_options,
    "global_keyprefix": os.environ["BEACON_TEST_KEY_PREFIX"],
}

from config.wsgi import application  # noqa: E402 (its middleware prepares publishing)

__all__ = ["application"]
