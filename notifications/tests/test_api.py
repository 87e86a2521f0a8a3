"""The outbox on the API: an incident's deliveries (filters, visibility, a constant number of
queries) and retrying a delivery (who may, and what the service refuses)."""

import itertools

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from incidents import services
from incidents.tests import factories
from notifications.models import Delivery, DeliveryStatus, Notification

pytestmark = pytest.mark.django_db

INCIDENTS = "/api/v1/incidents/"
DELIVERIES = "/api/v1/deliveries/"
_keys = itertools.count()


def client_for(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def delivery(incident, *, audience="responders", event="declared", channel="email", **fields):
    """A notification about `incident` with one delivery, written as the outbox would."""
    notification = Notification.objects.create(
        event=event,
        audience=audience,
        about=incident,
        subject=f"{event} for {audience}",
        content={channel: {"text": "The checkout is failing.", "subject": "Checkout failing"}},
        methods=[{"channel": channel, "target": "each_person", "address": ""}],
    )
    fields.setdefault("address", "cora@example.com")
    return Delivery.objects.create(
        notification=notification,
        channel=channel,
        idempotency_key=f"test:{next(_keys)}",
        **fields,
    )


def may_retry(user):
    user.user_permissions.add(
        Permission.objects.get(codename="change_delivery", content_type__app_label="notifications")
    )
    return type(user).objects.get(pk=user.pk)  # a fresh copy: permissions are cached


@pytest.fixture
def outage():
    return factories.IncidentTypeFactory(name="Outage", slug="outage")


@pytest.fixture
def security():
    return factories.IncidentTypeFactory(name="Security", slug="security", private_by_default=True)


@pytest.fixture
def cora():
    return factories.commander(username="cora")


@pytest.fixture
def stella():
    return factories.stakeholder(username="stella")


@pytest.fixture
def declare(cora, outage):
    severity = factories.SeverityFactory(name="SEV2", rank=2)

    def _declare(**overrides):
        fields = {
            "actor": cora,
            "title": "Checkout is failing",
            "incident_type": outage,
            "severity": severity,
            "affects_customers": True,
            "unplanned": True,
            "exceeds_one_hour": True,
            **overrides,
        }
        return services.incident_declare(**fields)

    return _declare


@pytest.fixture
def incident(declare):
    return declare()


@pytest.fixture
def private_incident(declare, security):
    return declare(title="Leaked credentials", incident_type=security)


# --- An incident's deliveries ----------------------------------------------------------------


class TestIncidentDeliveries:
    def url(self, incident):
        return f"{INCIDENTS}{incident.reference}/deliveries/"

    def test_lists_the_incident_s_deliveries_newest_first(self, incident, declare, stella):
        slack = delivery(
            incident,
            channel="slack",
            address="#inc-checkout",
            status=DeliveryStatus.FAILED_OVER,
            attempts=5,
            last_error="Slack is down",
        )
        email = delivery(
            incident, status=DeliveryStatus.SENT, attempts=1, failed_over_from=slack, method_rank=1
        )
        delivery(declare(title="Another incident"))  # not listed
        response = client_for(stella).get(self.url(incident))
        assert response.status_code == 200, response.content
        rows = response.json()
        assert [row["id"] for row in rows] == [email.pk, slack.pk]
        assert rows[0] == {
            "id": email.pk,
            "notification": email.notification_id,
            "event": "declared",
            "audience": "responders",
            "subject": "declared for responders",
            "channel": "email",
            "address": "cora@example.com",
            "recipient": None,
            "method_rank": 1,
            "status": "sent",
            "attempts": 1,
            "lost_attempts": 0,
            "dead_at": None,
            "next_attempt_at": rows[0]["next_attempt_at"],
            "last_error": "",
            "sent_at": None,
            "failed_over_from": slack.pk,
            "created_at": rows[0]["created_at"],
        }
        assert rows[1]["last_error"] == "Slack is down"
        assert rows[1]["failed_over_from"] is None

    def test_filters(self, incident, cora):
        failed = delivery(incident, status=DeliveryStatus.FAILED)
        slack = delivery(incident, channel="slack", address="#incidents", audience="stakeholders")
        sent = delivery(incident, status=DeliveryStatus.SENT, audience="executives")
        client = client_for(cora)

        def ids(**params):
            response = client.get(self.url(incident), params)
            assert response.status_code == 200, response.content
            return sorted(row["id"] for row in response.json())

        assert ids(status="failed") == [failed.pk]
        assert ids(status=["failed", "sent"]) == sorted([failed.pk, sent.pk])
        assert ids(channel="slack") == [slack.pk]
        assert ids(audience="stakeholders") == [slack.pk]
        assert ids(channel="email", audience="executives") == [sent.pk]
        assert ids(status="sending") == []
        refused = client.get(self.url(incident), {"status": "lost", "channel": "pigeon"})
        assert refused.status_code == 400
        assert set(refused.json()) == {"status", "channel"}

    def test_constant_number_of_queries(self, incident, cora):
        client = client_for(cora)

        def queries():
            with CaptureQueriesContext(connection) as captured:
                assert client.get(self.url(incident)).status_code == 200
            return len(captured)

        first = delivery(incident, recipient=cora, status=DeliveryStatus.FAILED_OVER)
        delivery(incident, failed_over_from=first)
        queries()  # warm caches (content types, permissions)
        few = queries()
        for n in range(6):
            person = factories.responder(username=f"r{n}")
            delivery(incident, recipient=person, audience="executives", failed_over_from=first)
        assert queries() == few

    def test_a_private_incident_is_404_to_outsiders(self, private_incident, cora, stella):
        delivery(private_incident)
        assert client_for(stella).get(self.url(private_incident)).status_code == 404
        assert client_for(cora).get(self.url(private_incident)).status_code == 200  # declarer

    def test_needs_authentication(self, incident):
        assert client_for().get(self.url(incident)).status_code in (401, 403)


# --- Retry ----------------------------------------------------------------------------------


class TestRetry:
    def url(self, delivery):
        return f"{DELIVERIES}{delivery.pk}/retry/"

    def test_retry_sends_a_failed_delivery_again(
        self, incident, cora, django_capture_on_commit_callbacks
    ):
        failed = delivery(incident, status=DeliveryStatus.FAILED, attempts=5, last_error="550")
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(may_retry(cora)).post(self.url(failed))
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "pending"
        assert response.json()["attempts"] == 0
        failed.refresh_from_db()
        assert failed.status == DeliveryStatus.SENT and failed.attempts == 1
        assert [m.to for m in mail.outbox] == [["cora@example.com"]]

    @pytest.mark.parametrize(
        "status,allowed",
        [
            (DeliveryStatus.FAILED, True),
            (DeliveryStatus.PENDING, True),
            (DeliveryStatus.SENDING, False),
            (DeliveryStatus.SENT, False),
            (DeliveryStatus.FAILED_OVER, False),
        ],
    )
    @pytest.mark.parametrize("role", ["retrier", "commander", "stakeholder", "superuser"])
    def test_who_may_retry_what(self, incident, cora, stella, role, status, allowed):
        users = {
            "retrier": lambda: may_retry(factories.stakeholder(username="rita")),
            "commander": lambda: cora,
            "stakeholder": lambda: stella,
            "superuser": lambda: factories.UserFactory(username="root", is_superuser=True),
        }
        target = delivery(incident, status=status, attempts=3)
        response = client_for(users[role]()).post(self.url(target))
        target.refresh_from_db()
        if role in ("commander", "stakeholder"):
            assert response.status_code == 403
            assert target.attempts == 3
        elif allowed:
            assert response.status_code == 200, response.content
            assert (target.status, target.attempts) == (DeliveryStatus.PENDING, 0)
        else:
            assert response.status_code == 400
            assert (
                "only a failed or waiting delivery can be retried" in response.json()["detail"][0]
            )
            assert (target.status, target.attempts) == (status, 3)

    def test_a_delivery_of_an_invisible_incident_is_404(self, private_incident, stella):
        hidden = delivery(private_incident, status=DeliveryStatus.FAILED)
        assert client_for(may_retry(stella)).post(self.url(hidden)).status_code == 404
        assert client_for(may_retry(stella)).post(f"{DELIVERIES}999999/retry/").status_code == 404
        hidden.refresh_from_db()
        assert hidden.status == DeliveryStatus.FAILED

    def test_a_delivery_about_no_incident_can_be_retried(self, stella):
        loose = delivery(None, audience="people", event="playbook_submitted", status="failed")
        response = client_for(may_retry(stella)).post(self.url(loose))
        assert response.status_code == 200, response.content

    def test_idempotency_key_replays(self, incident, cora):
        failed = delivery(incident, status=DeliveryStatus.FAILED)
        client = client_for(may_retry(cora))
        first = client.post(self.url(failed), HTTP_IDEMPOTENCY_KEY="retry-1")
        again = client.post(self.url(failed), HTTP_IDEMPOTENCY_KEY="retry-1")
        assert first.status_code == again.status_code == 200
        assert again.headers["Idempotent-Replayed"] == "true"
