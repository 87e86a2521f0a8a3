import pytest
from django.utils import timezone

from config.celery_app import app as celery_app
from incidents.tests.factories import IncidentTypeFactory, SeverityFactory, UserFactory
from notifications.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_reports_database_broker_and_heartbeat(client):
    WorkerHeartbeat.objects.create(name="worker", last_seen=timezone.now())
    body = client.get("/readyz").json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["broker"] == "ok"
    assert body["worker_last_seen"]


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
