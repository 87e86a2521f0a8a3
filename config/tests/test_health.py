from datetime import timedelta

import pytest
from django.utils import timezone

from config.celery_app import app as celery_app
from incidents.tests.factories import IncidentTypeFactory, SeverityFactory, UserFactory
from notifications.heartbeats import expected_parts
from notifications.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def heartbeats(**ages):
    """Every part reported a second ago, but those named (beat=…, pages=…: seconds, or None
    for never)."""
    now = timezone.now()
    for part in expected_parts():
        age = ages.get(part.removeprefix("worker:"), 1)
        if age is not None:
            WorkerHeartbeat.objects.create(name=part, last_seen=now - timedelta(seconds=age))


def test_readyz_reports_database_broker_and_the_heartbeat_of_every_part(client):
    heartbeats()
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200 and body["status"] == "ok"
    assert body["database"] == "ok" and body["broker"] == "ok"
    assert body["heartbeats"] == {
        "beat": "ok",
        "worker:default": "ok",
        "worker:notifications": "ok",
        "worker:pages": "ok",
    }


def test_readyz_is_503_and_names_the_queue_no_worker_consumes(client):
    heartbeats(pages=None)
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["status"] == "unavailable"
    states = response.json()["heartbeats"]
    assert states.pop("worker:pages") == "unavailable: never reported"
    assert set(states.values()) == {"ok"}


def test_readyz_is_503_and_names_a_stale_beat_within_the_configured_window(client, settings):
    heartbeats(beat=90)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["heartbeats"]["beat"] == (
        "unavailable: last reported 90 s ago (at most 60 s)"
    )
    settings.BEACON_HEARTBEAT_MAX_AGE_SECONDS = 120
    assert client.get("/readyz").status_code == 200


def test_readyz_is_503_when_the_broker_is_unreachable(client, monkeypatch):
    monkeypatch.setitem(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")
    monkeypatch.setitem(celery_app.conf, "broker_transport_options", {})
    monkeypatch.setattr(celery_app, "_pool", None)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["broker"].startswith("unavailable")
    celery_app._pool = None


def test_metrics_count_active_public_incidents_only(client):
    from incidents import services
    from incidents.tests.factories import commander

    actor = commander(username="meg")
    sev = SeverityFactory(name="SEV1", rank=1)
    public_type = IncidentTypeFactory(name="Outage", slug="outage")
    secret_type = IncidentTypeFactory(name="Security", slug="security", private_by_default=True)
    answers = {"affects_customers": True, "unplanned": True, "exceeds_one_hour": True}
    for kind in (public_type, public_type, secret_type):
        services.incident_declare(
            actor=actor, title="x", incident_type=kind, severity=sev, **answers
        )
    UserFactory()
    text = client.get("/metrics").content.decode()
    assert 'beacon_active_incidents{severity="SEV1",status="declared"} 2.0' in text
