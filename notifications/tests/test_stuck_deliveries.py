"""Deliveries that could hold the outbox hostage: poison (its worker dies or hangs on it every
time), a provider's wait longer than the broker keeps a countdown, and a page asked to wait
longer than its severity can afford."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from incidents import services
from incidents.tests import factories
from incidents.tests.effort_factories import policy
from notifications.models import Delivery, DeliveryStatus
from notifications.services import deliveries_sweep, delivery_send, notify_people

pytestmark = pytest.mark.django_db


@pytest.fixture
def cora(settings):
    settings.SLACK_BOT_TOKEN = "xoxb-test"  # Slack, the backup, reaches her by email
    return factories.UserFactory(username="cora", email="cora@example.com")


@pytest.fixture
def delivery(cora):
    """An email to Cora with a Slack backup (publishing after commit does not run here)."""
    notify_people(
        people=[cora],
        event="policy_sign_off",
        context={"headline": "Sign v2"},
        channels=["email", "slack"],
    )
    return Delivery.objects.get()


def lost_with_its_worker(delivery, *, attempts, lost):
    """As a worker that died (or hangs) mid-send leaves it: claimed long ago, no outcome."""
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SENDING,
        attempts=attempts,
        lost_attempts=lost,
        claimed_at=timezone.now() - timedelta(hours=1),
    )


def test_a_lost_claim_with_attempts_left_is_sent_again_and_counted(delivery):
    lost_with_its_worker(delivery, attempts=1, lost=0)
    assert deliveries_sweep() == 1  # re-queued, and sent here at once (tasks run eagerly)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.lost_attempts, delivery.dead_at) == (
        DeliveryStatus.SENT,
        2,
        1,
        None,
    )


def test_a_lost_claim_with_its_attempts_spent_is_given_up_and_failed_over(delivery, settings):
    attempts = settings.BEACON_DELIVERY_MAX_ATTEMPTS
    lost_with_its_worker(delivery, attempts=attempts, lost=attempts - 1)
    assert deliveries_sweep() == 1

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED_OVER and delivery.dead_at is not None
    assert delivery.last_error == (
        f"the worker died or hung while sending ({attempts} of {attempts} attempts)"
    )
    backup = Delivery.objects.get(failed_over_from=delivery)
    assert (backup.channel, backup.status) == ("slack", DeliveryStatus.PENDING)
    assert deliveries_sweep() == 0  # given up once, and left alone after


def test_a_claim_never_starts_an_attempt_beyond_the_maximum(delivery, settings):
    Delivery.objects.filter(pk=delivery.pk).update(
        attempts=settings.BEACON_DELIVERY_MAX_ATTEMPTS, lost_attempts=1
    )
    assert delivery_send(delivery.pk) is None
    delivery.refresh_from_db()
    assert not mail.outbox
    assert (delivery.status, delivery.attempts) == (
        DeliveryStatus.FAILED_OVER,
        settings.BEACON_DELIVERY_MAX_ATTEMPTS,
    )
    assert delivery.dead_at and Delivery.objects.filter(failed_over_from=delivery).exists()


def published_countdowns(monkeypatch):
    countdowns = []

    def try_publish(task, args, *, countdown=None):
        countdowns.append((task.name, countdown))
        return True

    monkeypatch.setattr("notifications.services.outbox.try_publish", try_publish)
    return countdowns


def fail_with(monkeypatch, adapter, error):
    def send(self, message):
        raise error

    monkeypatch.setattr(f"notifications.channels.{adapter}.send", send)


def test_a_wait_beyond_the_visibility_timeout_is_kept_in_the_row_not_in_the_countdown(
    delivery, monkeypatch, settings, django_capture_on_commit_callbacks
):
    from notifications.channels import RetryableError

    countdowns = published_countdowns(monkeypatch)
    fail_with(monkeypatch, "email.EmailAdapter", RetryableError("429", retry_after=7200))
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        assert delivery_send(delivery.pk) == DeliveryStatus.PENDING

    delivery.refresh_from_db()
    assert delivery.next_attempt_at >= before + timedelta(seconds=7200)
    cap = settings.BEACON_COUNTDOWN_MAX_SECONDS
    assert countdowns == [("notifications.tasks.deliver", cap)]
    assert cap < settings.BROKER_REDIS_TRANSPORT_OPTIONS["visibility_timeout"]
    # The early task finds it not due; the sweeper queues it once it is.
    assert delivery_send(delivery.pk) is None
    assert deliveries_sweep(now=before + timedelta(seconds=7100)) == 0
    assert deliveries_sweep(now=before + timedelta(seconds=7300)) == 1


@pytest.fixture
def sev1_incident():
    boss = factories.commander(username="boss")
    sev1 = factories.SeverityFactory(name="SEV1", rank=1)
    policy(boss, {sev1: {"ack_target_minutes": 5}})
    return services.incident_declare(
        actor=boss,
        title="Checkout is down",
        incident_type=factories.IncidentTypeFactory(name="Outage", slug="outage"),
        severity=sev1,
        affects_customers=True,
        unplanned=True,
        exceeds_one_hour=True,
    )


@pytest.fixture
def sms_page(sev1_incident, cora, settings, monkeypatch):
    """A SEV1 page to Cora by SMS, then email."""
    from people.models import UserPreference

    settings.BEACON_SMS_WEBHOOK_URL = "http://127.0.0.1:9/sms"
    UserPreference.objects.update_or_create(user=cora, defaults={"phone": "+33600000001"})
    Delivery.objects.all().delete()
    notify_people(
        people=[cora],
        event="page",
        context={"headline": "You are paged"},
        about=sev1_incident,
        channels=["sms", "email"],
    )
    return Delivery.objects.get()


def test_a_page_asked_to_wait_longer_than_its_acknowledgement_target_fails_over_at_once(
    sms_page, monkeypatch, django_capture_on_commit_callbacks
):
    from notifications.channels import RetryableError

    countdowns = published_countdowns(monkeypatch)
    fail_with(monkeypatch, "sms.SmsAdapter", RetryableError("HTTP 429", retry_after=7200))
    with django_capture_on_commit_callbacks(execute=True):
        assert delivery_send(sms_page.pk) == DeliveryStatus.FAILED_OVER

    sms_page.refresh_from_db()
    assert sms_page.attempts == 1
    assert sms_page.last_error == "HTTP 429; a page cannot wait 7200 s (at most 300 s)"
    backup = Delivery.objects.get(failed_over_from=sms_page)
    assert countdowns == [("notifications.tasks.deliver_page", None)]
    assert delivery_send(backup.pk) == DeliveryStatus.SENT and len(mail.outbox) == 1


def test_a_page_waits_what_its_policy_level_allows(sms_page, sev1_incident, monkeypatch):
    from notifications.channels import RetryableError

    sev1_incident.policy_version.levels.update(page_wait_limit_minutes=180)
    fail_with(monkeypatch, "sms.SmsAdapter", RetryableError("HTTP 429", retry_after=7200))
    assert delivery_send(sms_page.pk) == DeliveryStatus.PENDING


def test_a_given_up_delivery_shows_with_its_reason_everywhere_the_outbox_is_read(
    sms_page, sev1_incident, settings, admin_client
):
    from django.urls import reverse

    attempts = settings.BEACON_DELIVERY_MAX_ATTEMPTS
    lost_with_its_worker(sms_page, attempts=attempts, lost=attempts - 1)
    deliveries_sweep()
    reason = f"the worker died or hung while sending ({attempts} of {attempts} attempts)"

    changelist = reverse("admin:notifications_delivery_changelist")
    listed = admin_client.get(changelist, {"dead_at__isempty": "0"}).content.decode()
    assert f"#{sms_page.pk}" in listed or f"/{sms_page.pk}/change/" in listed
    assert reason in listed
    page = admin_client.get(reverse("portal:incident", args=[sev1_incident.reference]))
    assert "Given up" in page.content.decode() and reason in page.content.decode()
    listing = admin_client.get(f"/api/v1/incidents/{sev1_incident.reference}/deliveries/").json()
    api = next(d for d in listing if d["id"] == sms_page.pk)
    assert api["dead_at"] and api["last_error"] == reason and api["status"] == "failed_over"
    metrics = admin_client.get("/metrics").content.decode()
    assert 'beacon_deliveries_given_up{channel="sms"} 1.0' in metrics
