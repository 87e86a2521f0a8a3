"""Settings shared by every environment: Django's and its apps', Celery's (celery.py) and
Beacon's own. The environment is read once, by environment.py."""

from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from .celery import *  # noqa: F403
from .celery import BROKER_VISIBILITY_TIMEOUT
from .environment import BASE_DIR, env
from .environment import VAR_DIR as VAR_DIR  # settings.VAR_DIR: where processes keep files

SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "axes",
    "django_celery_beat",
    "django_prometheus",
    "core",
    "people",
    "catalog",
    "policy",
    "response",
    "incidents",
    "slackbot",
    "notifications",
    "playbooks",
    "risk",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # Outside everything that may commit: the request's publishes share one budget.
    "notifications.middleware.PublishBudgetMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the request: sessions, CSRF and views see no control characters.
    "core.request_guard.ControlCharacterMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "incidents.middleware.UserTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Last, so that every other middleware sees the lockout page it puts in place of a login.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"].get("ENGINE") == "django.db.backends.postgresql":
    # A new PostgreSQL connection per request costs a backend process and an authentication,
    # several times what a small request costs: keep each thread's connection for a minute,
    # checked before it is reused (a connection the database dropped is replaced).
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"].get("ENGINE") == "django.db.backends.sqlite3":  # empty URL: no ENGINE
    # Celery workers and the web server write concurrently: wait for the lock, don't fail.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# One cache shared by every process: the API and Slack throttles count in it. The database by
# default (`manage.py createcachetable` makes its table), Redis in production (django-redis).
CACHES = {"default": env.cache_url("CACHE_URL", default="dbcache://beacon_cache")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache":
    # Past MAX_ENTRIES Django culls a third of the rows, whichever: the cached list of the
    # bot's Slack channels with them. Room for two entries per Slack member and then some.
    CACHES["default"].setdefault("OPTIONS", {}).setdefault(
        "MAX_ENTRIES", env.int("BEACON_CACHE_MAX_ENTRIES", default=20000)
    )
if CACHES["default"]["BACKEND"] == "django_redis.cache.RedisCache":
    # A Redis that stops answering must not hold requests up nor fail them: after a short wait
    # the throttles count nothing (logins stay guarded: lockouts live in the database).
    CACHE_SOCKET_TIMEOUT = env.float("CACHE_SOCKET_TIMEOUT", default=0.3)
    CACHES["default"]["OPTIONS"] = {
        "SOCKET_CONNECT_TIMEOUT": CACHE_SOCKET_TIMEOUT,
        "SOCKET_TIMEOUT": CACHE_SOCKET_TIMEOUT,
        "IGNORE_EXCEPTIONS": True,
        **CACHES["default"].get("OPTIONS", {}),
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out login before any check
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "login"
GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row; anonymous sees nothing

# --- Logins resist guessing (django-axes) ------------------------------------------------------
# A username is locked at one client IP after this many failures in a row, until the cool-off
# has passed since the last failure (a try while locked counts, so it restarts the cool-off) or
# someone deletes its access attempt in the admin. Other IPs and other users are not locked.
AXES_FAILURE_LIMIT = env.int("BEACON_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("BEACON_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True
AXES_LOCKOUT_CALLABLE = "incidents.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "incidents.security.client_ip"
# The client IP, for lockouts, throttles and the security log: REMOTE_ADDR, unless Beacon is
# reached through this many reverse proxies, each appending the address it saw to this header.
BEACON_PROXY_COUNT = env.int("BEACON_PROXY_COUNT", default=0)
BEACON_CLIENT_IP_HEADER = env("BEACON_CLIENT_IP_HEADER", default="HTTP_X_FORWARDED_FOR")
if BEACON_PROXY_COUNT < 0:
    raise ImproperlyConfigured("BEACON_PROXY_COUNT is the number of proxies: 0 or more.")

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]  # and each app's own: slackbot/locale has the bot in fr
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "incidents.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["core.api.query.FilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "core.api.query.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.BeaconAutoSchema",
    "EXCEPTION_HANDLER": "incidents.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "incidents.throttling.AnonRateThrottle",
        "incidents.throttling.UserRateThrottle",
        "incidents.throttling.ScopedRateThrottle",
    ],
    # Requests per client IP (anon), per user, per user for declaring, per Slack user; and
    # failed token authentications per client IP, past which every token waits.
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("BEACON_THROTTLE_ANON", default="60/min"),
        "user": env("BEACON_THROTTLE_USER", default="300/min"),
        "declare": env("BEACON_THROTTLE_DECLARE", default="10/min"),
        "slack": env("BEACON_THROTTLE_SLACK", default="60/min"),
        "token_failures": env("BEACON_THROTTLE_TOKEN_FAILURES", default="10/min"),
    },
}
# The schema and docs need a login (session or token) unless this opens them to anyone.
BEACON_PUBLIC_API_DOCS = env.bool("BEACON_PUBLIC_API_DOCS", default=False)
SPECTACULAR_SETTINGS = {
    "TITLE": "Beacon API",
    "DESCRIPTION": "Declare, follow and resolve incidents; integrations' front door.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "ENUM_NAME_OVERRIDES": {
        "CancelReasonEnum": "incidents.models.CancelReason",
        "IncidentStatusEnum": "incidents.models.IncidentStatus",
        "PolicyStatusEnum": "policy.models.PolicyStatus",
        "HighMediumLowEnum": "policy.models.Impact",  # impact and urgency share the choices
        "UnavailabilityReasonEnum": "people.models.UnavailabilityReason",
        "VersionStatusEnum": "playbooks.models.VersionStatus",
    },
}

# --- Beacon ---------------------------------------------------------------------------------
# Members of this group see every private (security) incident.
BEACON_SECURITY_GROUP = env("BEACON_SECURITY_GROUP", default="Security")
# Status-update cadence until the severity policy (issue 3) sets one per level.
BEACON_DEFAULT_UPDATE_CADENCE_MINUTES = env.int("BEACON_DEFAULT_UPDATE_CADENCE_MINUTES", default=30)
BEACON_REFERENCE_PREFIX = env("BEACON_REFERENCE_PREFIX", default="INC")
# Incident cost: hours × this rate × the critical function's cost weight, in this currency.
BEACON_HOURLY_RATE = Decimal(env.str("BEACON_HOURLY_RATE", default="100"))
BEACON_CURRENCY = env.str("BEACON_CURRENCY", default="EUR")

# --- Notifications --------------------------------------------------------------------------
BEACON_BASE_URL = env("BEACON_BASE_URL", default="http://localhost:8000").rstrip("/")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Beacon <beacon@localhost>")
SLACK_BOT_TOKEN = env("SLACK_BOT_TOKEN", default="")
SLACK_SIGNING_SECRET = env("SLACK_SIGNING_SECRET", default="")
SLACK_API_URL = env("SLACK_API_URL", default="https://slack.com/api/")
SLACK_BROADCAST_CHANNEL: str = env("SLACK_BROADCAST_CHANNEL", default="incidents")
SLACK_ADMIN_USERGROUP = env("SLACK_ADMIN_USERGROUP", default="")  # invited to every channel
SLACK_COMMAND = env("SLACK_COMMAND", default="/incident")
# Slack gives up on an answer after 3 s: every Web API call made while it waits shares this
# budget, each call at most SLACK_ACK_CALL_TIMEOUT.
SLACK_ACK_BUDGET_SECONDS = env.float("SLACK_ACK_BUDGET_SECONDS", default=2.5)
SLACK_ACK_CALL_TIMEOUT = env.float("SLACK_ACK_CALL_TIMEOUT", default=1.5)
# A worker updates a declare modal no sooner than this after its submission: the "Declaring…"
# answer must have reached Slack first, or it would replace the declared view.
SLACK_DECLARED_VIEW_DELAY_SECONDS = env.float("SLACK_DECLARED_VIEW_DELAY_SECONDS", default=1.0)
# A declaration from Slack still pending this long after its submission is queued again by
# the sweep (every 10 s): its task was never published (the broker was away), or was lost.
SLACK_DECLARATION_SWEEP_GRACE_SECONDS = env.int("SLACK_DECLARATION_SWEEP_GRACE_SECONDS", default=10)
# A declaration that fails this often with an unexpected error is refused (the declarer told).
BEACON_SLACK_DECLARATION_MAX_ATTEMPTS = env.int("BEACON_SLACK_DECLARATION_MAX_ATTEMPTS", default=5)
# The bot's channels, cached (slackbot/channel_cache.py): refreshed every
# SLACK_CHANNELS_REFRESH_SECONDS and by Slack's channel events, kept at most
# SLACK_CHANNELS_CACHE_SECONDS without a refresh.
SLACK_CHANNELS_REFRESH_SECONDS = env.int("SLACK_CHANNELS_REFRESH_SECONDS", default=600)
SLACK_CHANNELS_CACHE_SECONDS = env.int("SLACK_CHANNELS_CACHE_SECONDS", default=86400)
# A member's email, locale and name from users.info, cached: a changed Slack locale or email
# shows after at most this long.
SLACK_PROFILE_CACHE_SECONDS = env.int("SLACK_PROFILE_CACHE_SECONDS", default=600)
BEACON_CHANNEL_ADAPTERS = {
    "slack": "notifications.channels.slack.SlackAdapter",
    "email": "notifications.channels.email.EmailAdapter",
    "webhook": "notifications.channels.webhook.WebhookAdapter",
    "teams": "notifications.channels.teams.TeamsAdapter",
    "mattermost": "notifications.channels.mattermost.MattermostAdapter",
    "sms": "notifications.channels.sms.SmsAdapter",
    "voice": "notifications.channels.sms.VoiceAdapter",
}
BEACON_WEBHOOK_SECRET = env("BEACON_WEBHOOK_SECRET", default="")
BEACON_SMS_WEBHOOK_URL = env("BEACON_SMS_WEBHOOK_URL", default="")
BEACON_SMS_WEBHOOK_TOKEN = env("BEACON_SMS_WEBHOOK_TOKEN", default="")
BEACON_SMS_MAX_LENGTH = 320
# Replies to SMS pages (POST /webhooks/sms/inbound): the provider's HMAC secret, and how old
# (in seconds) a signed reply may be.
BEACON_SMS_INBOUND_SECRET = env("BEACON_SMS_INBOUND_SECRET", default="")
BEACON_SMS_INBOUND_TOLERANCE = env.int("BEACON_SMS_INBOUND_TOLERANCE", default=300)
BEACON_HTTP_CONNECT_TIMEOUT = env.float("BEACON_HTTP_CONNECT_TIMEOUT", default=3.0)
BEACON_HTTP_TIMEOUT = env.float("BEACON_HTTP_TIMEOUT", default=10.0)
# Retries per method before failing over to the next one; waits grow 2, 4, 8 … s (± jitter).
BEACON_DELIVERY_MAX_ATTEMPTS = env.int("BEACON_DELIVERY_MAX_ATTEMPTS", default=5)
BEACON_DELIVERY_BACKOFF_SECONDS = env.float("BEACON_DELIVERY_BACKOFF_SECONDS", default=2.0)
BEACON_DELIVERY_BACKOFF_MAX_SECONDS = 300
# Slack takes about one message a second per channel: deliveries to one address of these
# channels go out at least this many seconds apart, whichever worker sends them.
BEACON_CHANNEL_MIN_INTERVAL_SECONDS = {"slack": 1.0}
# A task's countdown is at most this; a longer wait (a provider's Retry-After) is kept in the
# delivery's next attempt, which the sweeper queues when it is due.
BEACON_COUNTDOWN_MAX_SECONDS = BROKER_VISIBILITY_TIMEOUT // 2
# How long a page may wait for a provider that asks it to (Retry-After) when its incident's
# policy level does not say (its acknowledgement target); longer, it fails over at once.
BEACON_PAGE_WAIT_LIMIT_SECONDS = env.int("BEACON_PAGE_WAIT_LIMIT_SECONDS", default=300)
# A delivery claimed longer ago than this is taken back by the sweeper (its worker died).
BEACON_DELIVERY_LEASE_SECONDS = env.int("BEACON_DELIVERY_LEASE_SECONDS", default=120)
# Every worker (for each queue it consumes) and beat report this often; /readyz answers 503 and
# names the part when one has not reported for longer than the maximum age.
BEACON_HEARTBEAT_SECONDS = env.int("BEACON_HEARTBEAT_SECONDS", default=10)
BEACON_HEARTBEAT_MAX_AGE_SECONDS = env.int("BEACON_HEARTBEAT_MAX_AGE_SECONDS", default=60)
# A sending task stops well within the lease (soft at a half, killed at three quarters), so the
# sweeper never hands a delivery still being sent to a second worker.
BEACON_DELIVERY_SOFT_TIME_LIMIT = BEACON_DELIVERY_LEASE_SECONDS / 2
BEACON_DELIVERY_TIME_LIMIT = BEACON_DELIVERY_LEASE_SECONDS * 3 / 4
# Unsent work older than this is re-queued by the sweeper (the broker was down at commit).
BEACON_SWEEP_GRACE_SECONDS = env.int("BEACON_SWEEP_GRACE_SECONDS", default=30)
# Drill incidents send only here: "<channel>:<address>".
BEACON_DRILL_CHANNEL = env("BEACON_DRILL_CHANNEL", default="slack:beacon-drills")
# How named people are reached (reminders, reviews), and paged, in order of preference.
BEACON_DIRECT_METHODS = env.list("BEACON_DIRECT_METHODS", default=["slack", "email", "sms"])
# How long the acknowledgement link in a page works.
BEACON_ACK_LINK_MINUTES = env.int("BEACON_ACK_LINK_MINUTES", default=60)
BEACON_PAGE_METHODS = env.list("BEACON_PAGE_METHODS", default=["sms", "voice", "slack", "email"])
# The default escalation chains' step (backup one step after the commander, executive two),
# and the function an `executive` stage reaches.
BEACON_EXECUTIVE_FUNCTION = env("BEACON_EXECUTIVE_FUNCTION", default="executive")
# Due incidents escalated by one task: the periodic tick fans them out to every worker.
BEACON_ESCALATION_BATCH = env.int("BEACON_ESCALATION_BATCH", default=200)
BEACON_ESCALATION_STEP_MINUTES: int = env.int("BEACON_ESCALATION_STEP_MINUTES", default=10)
# Links the response plan posts; "{reference}" and "{channel}" are filled in.
BEACON_INCIDENT_DOCUMENT_URL = env("BEACON_INCIDENT_DOCUMENT_URL", default="")
BEACON_VIDEO_BRIDGE_URL = env("BEACON_VIDEO_BRIDGE_URL", default="")

# The security log (incidents/security.py) has a handler of its own: standard error, or the
# file BEACON_SECURITY_LOG_FILE (reopened when log rotation moves it).
BEACON_SECURITY_LOG_FILE = env("BEACON_SECURITY_LOG_FILE", default="")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "security": {"format": "%(asctime)s %(levelname)s beacon.security %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "security": (
            {
                "class": "logging.handlers.WatchedFileHandler",
                "filename": BEACON_SECURITY_LOG_FILE,
                "formatter": "security",
            }
            if BEACON_SECURITY_LOG_FILE
            else {"class": "logging.StreamHandler", "formatter": "security"}
        ),
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "beacon.security": {"handlers": ["security"], "level": "INFO", "propagate": False},
        # axes masks the username and IP in its own lines; beacon.security names them.
        "axes": {"level": "WARNING"},
    },
}
# Playbooks: approvals needed and days between verifications, per service tier (1 = critical).
BEACON_PLAYBOOK_APPROVALS_BY_TIER = {1: 2, 2: 1, 3: 1}
BEACON_PLAYBOOK_REVERIFY_DAYS_BY_TIER = {
    1: env.int("BEACON_REVERIFY_DAYS_TIER1", default=90),
    2: env.int("BEACON_REVERIFY_DAYS_TIER2", default=180),
    3: env.int("BEACON_REVERIFY_DAYS_TIER3", default=365),
}
