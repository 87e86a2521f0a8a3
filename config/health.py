"""Liveness, readiness and the worker heartbeat, for load balancers and monitors."""

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.celery_app import app as celery_app
from notifications.models import WorkerHeartbeat


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
        beat = WorkerHeartbeat.objects.filter(name="worker").first()
        checks["worker_last_seen"] = beat.last_seen.isoformat() if beat else None
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", **checks}, status=200 if ready else 503
    )
