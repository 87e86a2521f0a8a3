"""Production: only security and infrastructure differ from base, all from the environment.

base.py (with celery.py) already read DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, DATABASE_URL,
CELERY_BROKER_URL and BEACON_BASE_URL, with defaults for `make run` (a development key, SQLite,
the file-system broker, localhost). Production never runs on those: it refuses to start unless
each is set.
"""

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import BEACON_BASE_URL, DATABASES, DEFAULT_FROM_EMAIL, env

REQUIRED = (
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "BEACON_BASE_URL",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
)


def _problems():
    missing = [name for name in REQUIRED if not env.str(name, default="")]
    problems = [f"set {', '.join(missing)}"] if missing else []
    base_url = urlsplit(BEACON_BASE_URL)
    if "BEACON_BASE_URL" not in missing and not (
        base_url.scheme in ("http", "https") and base_url.netloc
    ):
        problems.append("BEACON_BASE_URL must be an absolute URL, e.g. https://beacon.example.com")
    if "DATABASE_URL" not in missing and not DATABASES["default"].get("ENGINE"):
        problems.append("DATABASE_URL must be a database URL, e.g. postgres://user@host:5432/db")
    return problems


if problems := _problems():
    raise ImproperlyConfigured(
        f"Production settings: {'; '.join(problems)} (README.md, 'Running in production')."
    )

DEBUG = False
CSRF_TRUSTED_ORIGINS = env.list(
    "DJANGO_CSRF_TRUSTED_ORIGINS",
    default=["{0.scheme}://{0.netloc}".format(urlsplit(BEACON_BASE_URL))],
)

# HTTPS. Trusting a proxy's header about the scheme is right only behind a proxy that sets it
# (and drops the client's own), so it is opt-in: name the header, e.g. X-Forwarded-Proto.
_PROXY_SSL_HEADER = env.str("DJANGO_SECURE_PROXY_SSL_HEADER", default="")
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_" + _PROXY_SSL_HEADER.upper().replace("-", "_"), "https") if _PROXY_SSL_HEADER else None
)
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# Load balancers and monitors probe each instance directly, over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = env.bool("DJANGO_CSRF_COOKIE_SECURE", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = env.bool("DJANGO_SECURE_CONTENT_TYPE_NOSNIFF", default=True)
SECURE_REFERRER_POLICY = env.str("DJANGO_SECURE_REFERRER_POLICY", default="same-origin")
X_FRAME_OPTIONS = env.str("DJANGO_X_FRAME_OPTIONS", default="DENY")

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Mail: smtp+tls://user:password@host:587, smtp+ssl://…:465 (user and password URL-quoted).
globals().update(env.email_url("EMAIL_URL", default="smtp://localhost:25"))
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
