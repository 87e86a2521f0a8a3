"""Declaration runs the response plan and announces through the outbox (eager Celery,
local fakes for Slack, webhooks and mail)."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

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
    deliver([delivery.pk])
    deliver.delay([delivery.pk])
    ids = [m.metadata["event_payload"]["delivery_id"] for m in fake_slack.messages()]
    assert ids.count(delivery.pk) == 1


@pytest.fixture
def plan_with_manual_and_page(outage):
    from incidents.tests.factories import CriticalFunctionFactory
    from response.models import CommunicationMethod, ResponsePlan, ResponsePlanStep
    from response.services import response_plan_activate

    comms = CriticalFunctionFactory(name="Communications lead", slug="communications-lead")
    plan = ResponsePlan.objects.create(name="Outages", incident_type=outage)
    for rank, (channel, target) in enumerate(
        [("slack", "incident_channel"), ("email", "each_person")]
    ):
        CommunicationMethod.objects.create(
            plan=plan, audience="responders", rank=rank, channel=channel, target=target
        )
    for position, (action, extra) in enumerate(
        [
            ("create_channel", {}),
            ("manual", {"title": "Open the status page incident"}),
            ("page_function", {"function": comms}),
        ]
    ):
        ResponsePlanStep.objects.create(plan=plan, position=position, action=action, **extra)
    response_plan_activate(plan=plan)
    return comms


def test_a_plan_pages_a_function_and_leaves_manual_steps_to_people(
    declare, commander_user, plan_with_manual_and_page, django_capture_on_commit_callbacks
):
    from incidents.services import incident_complete_plan_step
    from incidents.tests.factories import UserFactory
    from people.models import Delegation

    stella = UserFactory(username="stella", first_name="Stella")
    Delegation.objects.create(function=plan_with_manual_and_page, user=stella, rank=1)
    with django_capture_on_commit_callbacks(execute=True):
        incident = declare(commander=commander_user)
    steps = {s.action: s for s in incident.plan_steps.all()}
    assert steps["page_function"].state == PlanStepState.DONE
    assert steps["page_function"].detail == "Paged Stella (Communications lead)."
    assert [m.to for m in mail.outbox if "paged" in m.subject] == [[stella.email]]
    manual = steps["manual"]
    assert manual.state == PlanStepState.PENDING
    done = incident_complete_plan_step(incident=incident, actor=commander_user, step_id=manual.pk)
    assert done.state == PlanStepState.DONE and done.done_by == commander_user
    assert incident.timeline.filter(message="Done: Open the status page incident").exists()
    with pytest.raises(ValidationError, match="already done"):
        incident_complete_plan_step(incident=incident, actor=commander_user, step_id=manual.pk)
    with pytest.raises(ValidationError, match="runs by itself"):
        incident_complete_plan_step(
            incident=incident, actor=commander_user, step_id=steps["page_function"].pk
        )


def test_a_stakeholder_cannot_tick_off_a_step(
    declare, commander_user, stakeholder_user, plan_with_manual_and_page
):
    from django.core.exceptions import PermissionDenied

    from incidents.services import incident_complete_plan_step

    incident = declare(commander=commander_user)
    manual = incident.plan_steps.get(action="manual")
    with pytest.raises(PermissionDenied):
        incident_complete_plan_step(incident=incident, actor=stakeholder_user, step_id=manual.pk)


def test_slack_down_retries_the_channel_then_gives_up_and_the_rest_goes_on(
    declare, people, fake_slack, django_capture_on_commit_callbacks, settings
):
    settings.BEACON_DELIVERY_BACKOFF_SECONDS = 0
    fake_slack.set_down(True)
    with django_capture_on_commit_callbacks(execute=True):
        incident = declare(commander=people[0])
    steps = {s.action: s for s in incident.plan_steps.all()}
    assert steps["create_channel"].state == PlanStepState.FAILED
    assert steps["create_channel"].attempts == settings.BEACON_DELIVERY_MAX_ATTEMPTS
    assert steps["invite_people"].state == PlanStepState.SKIPPED
    assert steps["broadcast"].state == PlanStepState.DONE
    assert mail.outbox  # the responders heard by email instead
    assert incident.timeline.filter(message__contains="failed after 5 attempt").exists()


def test_a_channel_we_already_made_is_taken_as_ours(declare, people, fake_slack):
    from incidents.services.response_plan import response_plan_run

    incident = declare(commander=people[0])  # its plan has not run (no commit in this test)
    made = fake_slack.add_channel(incident.channel_name)
    response_plan_run(incident.pk)
    incident.refresh_from_db()
    assert incident.slack_channel_id == made


def test_the_sweeper_runs_plans_a_lost_task_left_pending(
    declare, commander_user, plan_with_manual_and_page, settings, monkeypatch
):
    from datetime import timedelta

    from django.utils import timezone

    from incidents.services.response_plan import response_plans_sweep

    queued = []
    monkeypatch.setattr(
        "incidents.services.response_plan.publish_run", lambda pk, countdown=None: queued.append(pk)
    )
    incident = declare(commander=commander_user)  # the task was never published
    assert response_plans_sweep() == 0  # within the grace period
    later = timezone.now() + timedelta(seconds=settings.BEACON_SWEEP_GRACE_SECONDS + 1)
    assert response_plans_sweep(now=later) == 1 and queued == [incident.pk]
    incident.plan_steps.exclude(action="manual").update(state=PlanStepState.DONE)
    assert response_plans_sweep(now=later) == 0  # only a manual step is left
