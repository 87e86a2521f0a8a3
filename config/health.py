"""Liveness, readiness and the heartbeats of the workers and beat, for load balancers and
monitors."""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.celery_app import app as celery_app
from notifications.heartbeats import heartbeat_ages


@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


def _check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_broker():
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


def _heartbeat_states():
    """Each part: "ok", or why it is not (beat, and the workers of each queue)."""
    max_age = settings.BEACON_HEARTBEAT_MAX_AGE_SECONDS
    states = {}
    for part, age in heartbeat_ages().items():
        if age is None:
            states[part] = "unavailable: never reported"
        elif age > max_age:
            states[part] = f"unavailable: last reported {age:.0f} s ago (at most {max_age} s)"
        else:
            states[part] = "ok"
    return states


@never_cache
@require_GET
def readyz(request):
    checks, ready = {}, True
    for name, check in (("database", _check_database), ("broker", _check_broker)):
        try:
            check()
            checks[name] = "ok"
        except Exception as exc:  # noqa: BLE001 - report any failure as not ready
            checks[name] = f"unavailable: {exc.__class__.__name__}"
            ready = False
    if checks["database"] == "ok":
        checks["heartbeats"] = _heartbeat_states()
        ready = ready and set(checks["heartbeats"].values()) == {"ok"}
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", **checks}, status=200 if ready else 503
    )
