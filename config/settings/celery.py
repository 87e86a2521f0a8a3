"""Celery: the broker, how a request publishes to it, and how workers run tasks.
base.py includes these settings."""

from django.core.exceptions import ImproperlyConfigured

from config.celery_routes import PERIODIC_TASKS, QUEUES, TASK_ROUTES

from .environment import VAR_DIR, env

# Default broker needs no server: kombu's filesystem transport under var/broker.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
BROKER_DIR = VAR_DIR / "broker"
# A request publishing to a broker that is down must not hang: fail fast, the outbox keeps the
# work and the sweeper sends it later. kombu's Redis transport ignores the connection timeout:
# it needs socket timeouts (else a broker that stops answering blocks a publish forever) and a
# single connection attempt (else a publish made with retry=False still retries, sleeping 2 s
# first). Publishes with retry=True keep their own policy; a worker's BRPOP waits in its loop.
# A healthy Redis answers within milliseconds; the rest of a request's second is its own.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=1.0)
BROKER_SOCKET_TIMEOUT = env.float("CELERY_BROKER_SOCKET_TIMEOUT", default=0.3)
# Redis gives a task nobody acknowledged within this (a countdown a worker holds) to another
# worker: countdowns are kept below it (BEACON_COUNTDOWN_MAX_SECONDS).
BROKER_VISIBILITY_TIMEOUT = env.int("CELERY_BROKER_VISIBILITY_TIMEOUT", default=3600)
BROKER_REDIS_TRANSPORT_OPTIONS = {
    "visibility_timeout": BROKER_VISIBILITY_TIMEOUT,
    "socket_connect_timeout": BROKER_SOCKET_TIMEOUT,
    "socket_timeout": BROKER_SOCKET_TIMEOUT,
    "max_retries": 0,
}
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else BROKER_REDIS_TRANSPORT_OPTIONS
)
# A request's publishes share a budget; each has a socket timeout of its own, far shorter than
# the workers' (a healthy Redis answers a publish in a few milliseconds). What does not fit, or
# meets a broker that just failed, waits for the sweeper (notifications/broker.py).
BEACON_PUBLISH_BUDGET_SECONDS = env.float("BEACON_PUBLISH_BUDGET_SECONDS", default=0.1)
BEACON_PUBLISH_TIMEOUT_SECONDS = env.float("BEACON_PUBLISH_TIMEOUT_SECONDS", default=0.04)
BEACON_BROKER_PAUSE_SECONDS = env.float("BEACON_BROKER_PAUSE_SECONDS", default=5.0)
# The web process's publishing thread gathers what requests hand it for this long after the
# first, then sends it as one message per task (notifications/broker.py, BackgroundPublisher).
BEACON_BACKGROUND_PUBLISH_LINGER_SECONDS = env.float(
    "BEACON_BACKGROUND_PUBLISH_LINGER_SECONDS", default=0.05
)
# Shared by the processes of one host; its modification time is the last failed publish.
BEACON_BROKER_DOWN_FILE = env("BEACON_BROKER_DOWN_FILE", default=str(VAR_DIR / "broker-down"))
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# django-celery-beat's DatabaseScheduler, which also reports beat's heartbeat.
CELERY_BEAT_SCHEDULER = "notifications.celery_heartbeats:HeartbeatScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker never gives up on the broker: by default it stops after 100 failed reconnections
# (about 45 minutes of outage at kombu's 30 s longest pause) and stays stopped.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_TASK_DEFAULT_QUEUE = "default"
# Every task: at the soft limit it gets SoftTimeLimitExceeded (a delivery records a retryable
# failure), at the hard one its process is killed. Periodic tasks' locks expire with the hard
# limit (notifications/periodic.py). Tasks that need less say so where they are defined.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=120)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=150)
if CELERY_TASK_SOFT_TIME_LIMIT >= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured("CELERY_TASK_SOFT_TIME_LIMIT must be below CELERY_TASK_TIME_LIMIT.")

# Routes, queues and periodic tasks are declared in config/celery_routes.py; the apps read them
# here, as settings, so that no app imports the project's configuration.
CELERY_TASK_ROUTES = TASK_ROUTES
BEACON_QUEUES = QUEUES
BEACON_PERIODIC_TASKS = PERIODIC_TASKS
