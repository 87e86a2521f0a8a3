"""The outbox in the admin: read-only pages, the failover chain, "Retry now" through
`delivery_retry`, and staff seeing only the outbox rows of incidents they may see."""

import itertools

import pytest
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.auth.models import Permission
from django.contrib.messages import ERROR, SUCCESS
from django.urls import reverse

from incidents import services
from incidents.tests import factories
from notifications.models import Delivery, DeliveryStatus, Notification, WorkerHeartbeat

pytestmark = pytest.mark.django_db

DELIVERIES = reverse("admin:notifications_delivery_changelist")
NOTIFICATIONS = reverse("admin:notifications_notification_changelist")
_keys = itertools.count()


def delivery(notification, *, channel="email", address="cora@example.com", **fields):
    return Delivery.objects.create(
        notification=notification,
        channel=channel,
        address=address,
        idempotency_key=f"test:{next(_keys)}",
        **fields,
    )


def notification(incident, *, audience="responders", event="declared"):
    return Notification.objects.create(
        event=event,
        audience=audience,
        about=incident,
        subject=f"Declared: {incident.title}" if incident else "A playbook awaits review",
        content={"email": {"text": "The checkout is failing.", "subject": "Checkout failing"}},
        methods=[
            {"channel": "slack", "target": "incident_channel", "address": ""},
            {"channel": "email", "target": "each_person", "address": ""},
        ],
    )


def sent(response, level=None):
    return [m.message for m in response.context["messages"] if level is None or m.level == level]


def retry(client, *deliveries):
    payload = {"action": "retry_now", helpers.ACTION_CHECKBOX_NAME: [d.pk for d in deliveries]}
    return client.post(DELIVERIES, payload, follow=True)


def staff(username, *codenames):
    user = factories.responder(username=username, is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="notifications", codename__in=codenames)
    )
    return user


@pytest.fixture
def declare():
    kind = factories.IncidentTypeFactory(name="Outage", slug="outage")
    secret = factories.IncidentTypeFactory(
        name="Security", slug="security", private_by_default=True
    )
    severity = factories.SeverityFactory(name="SEV2", rank=2)
    cora = factories.commander(username="cora")

    def _declare(title="Checkout is failing", private=False):
        return services.incident_declare(
            actor=cora,
            title=title,
            incident_type=secret if private else kind,
            severity=severity,
            affects_customers=True,
            unplanned=True,
            exceeds_one_hour=True,
        )

    return _declare


@pytest.fixture
def chain(declare):
    """Slack failed over to email, which failed too; one more email was sent."""
    told = notification(declare())
    slack = delivery(
        told,
        channel="slack",
        address="#inc-checkout",
        status=DeliveryStatus.FAILED_OVER,
        attempts=5,
        last_error="Slack answered 503 Service Unavailable " + "x" * 200,
    )
    email = delivery(
        told, status=DeliveryStatus.FAILED, method_rank=1, failed_over_from=slack, attempts=5
    )
    other = delivery(
        told,
        address="rudy@example.com",
        status=DeliveryStatus.SENT,
        method_rank=1,
        failed_over_from=slack,
    )
    return slack, email, other


# --- Pages ----------------------------------------------------------------------------------


def test_every_model_of_the_app_is_smoke_tested():
    registered = {m for m in admin.site._registry if m._meta.app_label == "notifications"}
    assert registered == {Notification, Delivery, WorkerHeartbeat}


def test_pages_render_read_only(admin_client, chain):
    slack, email, _other = chain
    response = admin_client.get(NOTIFICATIONS)
    assert response.status_code == 200
    assert "1 sent, 1 failed over to a backup, 1 failed" in response.text
    page = admin_client.get(
        reverse("admin:notifications_notification_change", args=[slack.notification_id])
    )
    assert page.status_code == 200
    assert "Slack answered 503" in page.text  # the deliveries inline
    assert "0. slack → incident_channel" in page.text
    assert 'name="_save"' not in page.text

    listing = admin_client.get(DELIVERIES)
    assert listing.status_code == 200
    assert "Slack answered 503 Service Unavailable xxx" in listing.text
    assert "x" * 100 not in listing.text  # the last error is shortened

    for obj in (Notification, Delivery):
        add = reverse(f"admin:notifications_{obj._meta.model_name}_add")
        assert admin_client.get(add).status_code == 403
    assert (
        admin_client.post(
            reverse("admin:notifications_delivery_delete", args=[email.pk])
        ).status_code
        == 403
    )


def test_a_delivery_shows_its_failover_chain(admin_client, chain):
    slack, email, other = chain
    backup = admin_client.get(reverse("admin:notifications_delivery_change", args=[email.pk]))
    assert backup.status_code == 200
    slack_url = reverse("admin:notifications_delivery_change", args=[slack.pk])
    assert f'<a href="{slack_url}">{slack}</a>' in backup.text
    primary = admin_client.get(slack_url)
    for each in (email, other):
        url = reverse("admin:notifications_delivery_change", args=[each.pk])
        assert f'<a href="{url}">{each}</a>' in primary.text


def test_filters_and_search(admin_client, chain):
    slack, email, other = chain

    def listed(**params):
        response = admin_client.get(DELIVERIES, params)
        assert response.status_code == 200
        return {d.pk for d in response.context["cl"].result_list}

    assert listed(status="failed") == {email.pk}
    assert listed(channel="slack") == {slack.pk}
    assert listed(q="rudy@") == {other.pk}
    assert listed(q=other.idempotency_key) == {other.pk}


# --- Retry now ------------------------------------------------------------------------------


def test_retry_now_retries_each_and_reports_each_refusal(admin_client, chain):
    slack, email, other = chain
    response = retry(admin_client, slack, email, other)
    assert sent(response, SUCCESS) == [f"Queued 1 delivery to be sent again: #{email.pk}."]
    assert sent(response, ERROR) == [
        f"Delivery #{slack.pk} is failed over to a backup: only a failed or waiting delivery "
        "can be retried.",
        f"Delivery #{other.pk} is sent: only a failed or waiting delivery can be retried.",
    ]
    email.refresh_from_db()
    assert (email.status, email.attempts) == (DeliveryStatus.PENDING, 0)
    slack.refresh_from_db()
    assert (slack.status, slack.attempts) == (DeliveryStatus.FAILED_OVER, 5)


def test_retry_now_sends_after_commit(admin_client, chain, django_capture_on_commit_callbacks):
    _slack, email, _other = chain
    with django_capture_on_commit_callbacks(execute=True):
        retry(admin_client, email)
    email.refresh_from_db()
    assert email.status == DeliveryStatus.SENT


def test_only_who_may_change_deliveries_sees_retry(client, chain):
    viewer = staff("vic", "view_delivery", "view_notification")
    client.force_login(viewer)
    response = client.get(DELIVERIES)
    assert response.status_code == 200
    assert "retry_now" not in response.text
    _slack, email, _other = chain
    retry(client, email)
    email.refresh_from_db()
    assert email.status == DeliveryStatus.FAILED

    client.force_login(staff("rita", "view_delivery", "change_delivery"))
    assert "retry_now" in client.get(DELIVERIES).text
    retry(client, email)
    email.refresh_from_db()
    assert email.status == DeliveryStatus.PENDING


def test_staff_see_only_the_rows_of_incidents_they_may_see(client, declare):
    public = notification(declare())
    secret = notification(declare("Leaked credentials", private=True))
    loose = notification(None, audience="people", event="playbook_submitted")
    rows = {told: delivery(told) for told in (public, secret, loose)}
    client.force_login(staff("vic", "view_delivery", "view_notification"))

    notifications = client.get(NOTIFICATIONS).context["cl"].result_list
    assert set(notifications) == {public, loose}
    deliveries = client.get(DELIVERIES).context["cl"].result_list
    assert set(deliveries) == {rows[public], rows[loose]}
    hidden = reverse("admin:notifications_delivery_change", args=[rows[secret].pk])
    response = client.get(hidden, follow=True)
    assert response.redirect_chain[-1][0] == reverse("admin:index")
    assert "doesn’t exist" in " ".join(sent(response))
