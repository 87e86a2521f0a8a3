"""The test suite. DATABASE_URL / CELERY_BROKER_URL still switch to PostgreSQL / Redis."""

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = "test-only"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# A test sharing the cache with a worker process sets BEACON_TEST_CACHE_URL for both.
CACHES = {"default": env.cache_url("BEACON_TEST_CACHE_URL", default="locmemcache://")}
WHITENOISE_AUTOREFRESH = True  # serve from the finders; tests never run collectstatic
# Tasks run in-process unless a test starts a real worker (marked `broker`).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
CELERY_TASK_EAGER_PROPAGATES = True

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not shared-cache memory: tests that run a real worker thread need SQLite's
    # ordinary locking. Durability is pointless for a throwaway database.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(Path(tempfile.gettempdir()) / f"beacon-test-{os.getpid()}.sqlite3")
    }
    DATABASES["default"]["OPTIONS"]["init_command"] = "PRAGMA synchronous=OFF;"  # noqa: F405

# Notifications: no real service is configured; tests point Slack and webhooks at local fakes.
# A real worker started by a fault test is pointed at the test's FakeSlack through these two.
SLACK_BOT_TOKEN = env("BEACON_TEST_SLACK_BOT_TOKEN", default="")
SLACK_API_URL = env("BEACON_TEST_SLACK_API_URL", default=SLACK_API_URL)  # noqa: F405
BEACON_SMS_WEBHOOK_URL = ""
BEACON_WEBHOOK_SECRET = "test-webhook-secret"
BEACON_SMS_INBOUND_SECRET = "test-sms-inbound-secret"
BEACON_DELIVERY_BACKOFF_SECONDS = 0.05
BEACON_CHANNEL_MIN_INTERVAL_SECONDS = {}  # unpaced; the pacing tests turn it on
BEACON_HTTP_TIMEOUT = 2.0
SLACK_DECLARED_VIEW_DELAY_SECONDS = 0.0
BEACON_BASE_URL = "http://beacon.test"
