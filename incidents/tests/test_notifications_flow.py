"""Declaration runs the response plan and announces through the outbox (eager Celery,
local fakes for Slack, webhooks and mail)."""

import pytest
from django.core import mail

from incidents.models import PlanStepState, TimelineKind
from notifications.models import Delivery, DeliveryStatus, Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(fake_slack, commander_user, responder_user):
    for user in (commander_user, responder_user):
        fake_slack.add_user(f"U{user.pk:04d}", user.username, user.email)
    return commander_user, responder_user


def test_declaration_creates_the_channel_invites_and_broadcasts(
    declare, people, fake_slack, django_capture_on_commit_callbacks, settings
):
    commander, responder = people
    settings.SLACK_ADMIN_USERGROUP = "S0ADMINS"
    fake_slack.add_user("U0ADMIN", "ada", "ada@example.com")
    fake_slack.add_usergroup("S0ADMINS", "incident-admins", ["U0ADMIN"])
    with django_capture_on_commit_callbacks(execute=True):
        incident = declare(commander=commander, responder=responder, summary="x" * 400)

    incident.refresh_from_db()
    channel = fake_slack.channel_by_name(incident.channel_name)
    assert channel is not None and not channel.is_private
    assert incident.slack_channel_id == channel.id
    assert len(channel.topic) <= 250 and len(channel.purpose) <= 250
    assert {f"U{commander.pk:04d}", f"U{responder.pk:04d}", "U0ADMIN"} <= channel.members
    broadcast = fake_slack.messages("incidents")
    assert len(broadcast) == 1
    assert f"<#{channel.id}|{incident.channel_name}>" in broadcast[0].text
    assert broadcast[0].metadata["event_payload"]["delivery_id"]
    assert all(d.status == DeliveryStatus.SENT for d in Delivery.objects.all())
    states = dict(incident.plan_steps.values_list("action", "state"))
    assert states["create_channel"] == states["invite_people"] == PlanStepState.DONE
    assert states["broadcast"] == PlanStepState.DONE
    assert states["schedule_reminders"] == PlanStepState.DONE and incident.update_reminders
    assert states["post_document"] == PlanStepState.SKIPPED  # no document link configured


def test_security_incident_gets_a_private_channel_and_no_broadcast(
    declare, people, fake_slack, security_type, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        incident = declare(incident_type=security_type, commander=people[0])
    assert fake_slack.channel_by_name(incident.channel_name).is_private
    assert fake_slack.messages("incidents") == []
    assert set(Notification.objects.values_list("audience", flat=True)) == {"responders"}


def test_without_slack_people_are_told_by_email(
    declare, commander_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        incident = declare(commander=commander_user)
    states = dict(incident.plan_steps.values_list("action", "state"))
    assert states["create_channel"] == PlanStepState.SKIPPED
    sent = Delivery.objects.get(channel="email", address=commander_user.email)
    assert sent.status == DeliveryStatus.SENT
    assert [m.to for m in mail.outbox] == [[commander_user.email]]
    assert mail.outbox[0].extra_headers["X-Beacon-Delivery"] == sent.idempotency_key


def test_primary_failing_every_attempt_fails_over_and_the_timeline_says_so(
    declare, people, fake_slack, django_capture_on_commit_callbacks, settings
):
    settings.BEACON_DELIVERY_BACKOFF_SECONDS = 0  # retries run at once, in-process
    commander = people[0]
    with django_capture_on_commit_callbacks(execute=True):
        incident = declare(commander=commander)
    fake_slack.set_down(True)
    with django_capture_on_commit_callbacks(execute=True):
        from incidents import services

        services.incident_post_update(incident=incident, actor=commander, message="Rolling back")
    failed = Delivery.objects.get(status=DeliveryStatus.FAILED_OVER, channel="slack")
    assert failed.attempts == settings.BEACON_DELIVERY_MAX_ATTEMPTS
    assert failed.notification.audience == "responders"
    backup = Delivery.objects.get(failed_over_from=failed, channel="email")
    assert backup.status == DeliveryStatus.SENT and backup.address == commander.email
    assert "Rolling back" in mail.outbox[-1].body
    failover = incident.timeline.get(kind=TimelineKind.DELIVERY_FAILOVER)
    assert "sending by email instead" in failover.message
    # The incident has no team: no stakeholder has an email to fall back to.
    assert Delivery.objects.get(status=DeliveryStatus.FAILED).notification.audience == (
        "stakeholders"
    )
    lost = incident.timeline.get(kind=TimelineKind.DELIVERY_FAILED)
    assert "no backup method is left" in lost.message


def test_drill_speaks_only_in_the_drill_channel(
    declare, people, fake_slack, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        declare(commander=people[0], is_drill=True)
    assert {d.address for d in Delivery.objects.all()} == {"beacon-drills"}
    assert fake_slack.messages("incidents") == []
    assert all(m.text.startswith("[DRILL]") for m in fake_slack.messages("beacon-drills"))
    assert mail.outbox == []


def test_the_same_delivery_task_twice_sends_once(
    declare, people, fake_slack, django_capture_on_commit_callbacks
):
    from notifications.tasks import deliver

    with django_capture_on_commit_callbacks(execute=True):
        declare(commander=people[0])
    delivery = Delivery.objects.filter(channel="slack").first()
    assert delivery.status == DeliveryStatus.SENT
    deliver(delivery.pk)
    deliver.delay(delivery.pk)
    ids = [m.metadata["event_payload"]["delivery_id"] for m in fake_slack.messages()]
    assert ids.count(delivery.pk) == 1
