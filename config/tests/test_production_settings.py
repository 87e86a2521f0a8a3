"""Production settings load only from a complete environment, and then lock the server down.

Each case loads `config.settings.production` in a fresh interpreter with a clean environment,
the way gunicorn and Celery do on a server.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
REQUIRED = {
    "DJANGO_SECRET_KEY": "a-long-random-secret-for-the-production-settings-test-0123456789",
    "DJANGO_ALLOWED_HOSTS": "beacon.example.com,beacon.internal",
    "BEACON_BASE_URL": "https://beacon.example.com",
    "DATABASE_URL": "postgres://beacon:secret@db.internal:5432/beacon",
    "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
}
SHOW = """
import json, django
django.setup()
from django.conf import settings as s
names = [
    "SECRET_KEY", "ALLOWED_HOSTS", "BEACON_BASE_URL", "CSRF_TRUSTED_ORIGINS", "CELERY_BROKER_URL",
    "EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD",
    "EMAIL_USE_TLS", "EMAIL_USE_SSL", "DEFAULT_FROM_EMAIL", "SERVER_EMAIL",
    "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
    "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER", "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE", "SECURE_CONTENT_TYPE_NOSNIFF", "SECURE_REFERRER_POLICY",
    "X_FRAME_OPTIONS", "BEACON_PUBLIC_API_DOCS",
]
shown = {name: getattr(s, name) for name in names}
shown["DATABASE"] = {k: s.DATABASES["default"][k] for k in ("ENGINE", "HOST", "NAME")}
print(json.dumps(shown))
"""


def run(code, env, *args):
    clean = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "config.settings.production"}
    return subprocess.run(
        [sys.executable, *args] if args else [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def load(**env):
    result = run(SHOW, env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def refusal(**env):
    result = run(SHOW, env)
    assert result.returncode != 0, result.stdout
    return result.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize("value", [None, ""], ids=["unset", "empty"])
def test_one_message_names_every_missing_variable(value):
    message = refusal(**({} if value is None else dict.fromkeys(REQUIRED, value)))
    assert message.startswith("django.core.exceptions.ImproperlyConfigured: ")
    for name in REQUIRED:
        assert name in message


def test_only_the_missing_variable_is_named():
    message = refusal(**{k: v for k, v in REQUIRED.items() if k != "CELERY_BROKER_URL"})
    assert "CELERY_BROKER_URL" in message
    assert not [name for name in REQUIRED if name != "CELERY_BROKER_URL" and name in message]


def test_malformed_base_url_and_database_url_are_refused_by_name():
    message = refusal(**{**REQUIRED, "BEACON_BASE_URL": "beacon.example.com", "DATABASE_URL": "x"})
    assert "BEACON_BASE_URL" in message and "DATABASE_URL" in message


def test_a_complete_environment_loads_with_safe_defaults():
    loaded = load(**REQUIRED)
    assert loaded["SECRET_KEY"] == REQUIRED["DJANGO_SECRET_KEY"]
    assert loaded["ALLOWED_HOSTS"] == ["beacon.example.com", "beacon.internal"]
    assert loaded["DATABASE"] == {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": "db.internal",
        "NAME": "beacon",
    }
    assert loaded["CELERY_BROKER_URL"] == REQUIRED["CELERY_BROKER_URL"]
    assert loaded["BEACON_BASE_URL"] == "https://beacon.example.com"
    assert loaded["CSRF_TRUSTED_ORIGINS"] == ["https://beacon.example.com"]
    assert loaded["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert loaded["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and loaded["SECURE_HSTS_PRELOAD"]
    assert loaded["SECURE_SSL_REDIRECT"]
    assert loaded["SECURE_PROXY_SSL_HEADER"] is None  # trusted only behind a proxy that sets it
    assert loaded["SESSION_COOKIE_SECURE"] and loaded["CSRF_COOKIE_SECURE"]
    assert loaded["SECURE_CONTENT_TYPE_NOSNIFF"]
    assert loaded["SECURE_REFERRER_POLICY"] == "same-origin"
    assert loaded["X_FRAME_OPTIONS"] == "DENY"
    assert loaded["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (loaded["EMAIL_HOST"], loaded["EMAIL_PORT"]) == ("localhost", 25)
    assert loaded["BEACON_PUBLIC_API_DOCS"] is False


def test_every_production_setting_comes_from_the_environment():
    loaded = load(
        **REQUIRED,
        EMAIL_URL="smtp+tls://beacon%40example.com:p%40ss@smtp.example.com:587",
        DEFAULT_FROM_EMAIL="Beacon <beacon@example.com>",
        SERVER_EMAIL="errors@example.com",
        DJANGO_CSRF_TRUSTED_ORIGINS="https://beacon.example.com,https://ops.example.com",
        DJANGO_SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto",
        DJANGO_SECURE_HSTS_SECONDS="3600",
        DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS="false",
        DJANGO_SECURE_HSTS_PRELOAD="false",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_SESSION_COOKIE_SECURE="false",
        DJANGO_CSRF_COOKIE_SECURE="false",
        DJANGO_SECURE_CONTENT_TYPE_NOSNIFF="false",
        DJANGO_SECURE_REFERRER_POLICY="no-referrer",
        DJANGO_X_FRAME_OPTIONS="SAMEORIGIN",
        BEACON_PUBLIC_API_DOCS="true",
    )
    assert (loaded["EMAIL_HOST"], loaded["EMAIL_PORT"]) == ("smtp.example.com", 587)
    assert (loaded["EMAIL_HOST_USER"], loaded["EMAIL_HOST_PASSWORD"]) == (
        "beacon@example.com",
        "p@ss",
    )
    assert loaded["EMAIL_USE_TLS"] and not loaded["EMAIL_USE_SSL"]
    assert loaded["DEFAULT_FROM_EMAIL"] == "Beacon <beacon@example.com>"
    assert loaded["SERVER_EMAIL"] == "errors@example.com"
    assert loaded["CSRF_TRUSTED_ORIGINS"] == [
        "https://beacon.example.com",
        "https://ops.example.com",
    ]
    assert loaded["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert loaded["SECURE_HSTS_SECONDS"] == 3600
    assert not loaded["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and not loaded["SECURE_HSTS_PRELOAD"]
    assert not loaded["SECURE_SSL_REDIRECT"]
    assert not loaded["SESSION_COOKIE_SECURE"] and not loaded["CSRF_COOKIE_SECURE"]
    assert not loaded["SECURE_CONTENT_TYPE_NOSNIFF"]
    assert loaded["SECURE_REFERRER_POLICY"] == "no-referrer"
    assert loaded["X_FRAME_OPTIONS"] == "SAMEORIGIN"
    assert loaded["BEACON_PUBLIC_API_DOCS"] is True


def test_check_deploy_passes_at_warning_level_with_the_required_variables_only():
    result = run("", REQUIRED, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
