"""Running an incident's response plan: response/steps.py says what happens after a declaration
commits, in order; `PERFORMERS` below does each step.

Declaration copies the plan's steps onto the incident (same transaction) and, after commit,
queues one task that runs the automated steps in order. Each step is done once: it is locked
and re-checked before its outcome is written, notification steps write their outbox rows in
that same transaction, and Slack chores are safe to repeat. Manual steps are checklist items
a person ticks off. The sweeper re-queues plans a lost task left pending.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from celery import shared_task
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from core.names import display_name
from incidents import access
from incidents.models import (
    Incident,
    IncidentPlanStep,
    IncidentPlaybook,
    IncidentStatus,
    PlanStepState,
    TimelineKind,
)
from incidents.names import outbound_name
from notifications.broker import try_publish
from notifications.channels import DeliveryError, RetryableError
from notifications.channels.slack import slack_configured
from notifications.links import absolute_url
from notifications.services.failures import backoff_seconds
from people.selectors import delegate_for
from response.models import StepAction
from response.steps import AFTER_THE_CHANNEL, DEFAULT_STEPS, SLACK_CHORES

from . import announce, incident_channel
from .base import lock_incident, record_event, require_active, update_cadence
from .escalation import incident_escalate

logger = logging.getLogger(__name__)


def response_plan_start(incident: Incident) -> str:
    """Copy the applicable plan's steps onto a new incident, run them after commit; returns
    the plan's name."""
    plan = announce.plan_of(incident)
    if plan is not None:
        sources = list(plan.steps.all())
        steps = [
            IncidentPlanStep(
                incident=incident,
                source=step,
                position=step.position,
                action=step.action,
                title=step.title or step.get_action_display(),
                audience=step.audience,
                function=step.function,
            )
            for step in sources
        ]
    else:
        steps = [
            IncidentPlanStep(
                incident=incident, position=n, action=a, title=str(StepAction(a).label)
            )
            for n, a in enumerate(DEFAULT_STEPS)
        ]
    IncidentPlanStep.objects.bulk_create(steps)
    transaction.on_commit(partial(publish_run, incident.pk))
    return plan.name if plan else _("built-in default")


def publish_run(incident_id: int, countdown: float | None = None) -> None:
    try_publish(run_response_plan, (incident_id,), countdown=countdown)


def response_plan_run(incident_id: int) -> None:
    """Run the pending automated steps in order. A retryable failure is retried later by a
    new task; the other steps go on (those AFTER_THE_CHANNEL wait for it)."""
    retry_in: float | None = None
    for step_id in _pending_automated(incident_id):
        step = IncidentPlanStep.objects.select_related("incident").get(pk=step_id)
        if step.action in AFTER_THE_CHANNEL and _channel_pending(step.incident):
            continue
        try:
            outcome = _perform(step)
        except DeliveryError as error:
            wait = _record_failure(step_id, error)
            if wait is not None:
                retry_in = wait if retry_in is None else min(retry_in, wait)
            continue
        _record_done(step_id, outcome)
    if retry_in is not None:
        publish_run(incident_id, countdown=retry_in)


# Queued by publish_run; incidents/tasks.py imports it so that Celery finds it.
@shared_task(name="incidents.tasks.run_response_plan", ignore_result=True)
def run_response_plan(incident_id: int) -> None:
    """Run an incident's pending automated plan steps (retries are scheduled by the service),
    then the stages of its escalations already due: the acknowledgement chain's first pages go
    out beside the plan's (knowing whom it paged), not at the next tick, up to a minute later."""
    response_plan_run(incident_id)
    try:
        incident_escalate(incident_id=incident_id)
    except Exception:  # the periodic tick sends them anyway
        logger.exception("Could not escalate incident %s after its plan", incident_id)


def _pending_automated(incident_id: int) -> list[int]:
    return list(
        IncidentPlanStep.objects.filter(
            incident_id=incident_id,
            state=PlanStepState.PENDING,
            incident__status__in=IncidentStatus.active(),
        )
        .exclude(action=StepAction.MANUAL)
        .order_by("position", "pk")
        .values_list("pk", flat=True)
    )


def _channel_pending(incident: Incident) -> bool:
    return incident.plan_steps.filter(
        action=StepAction.CREATE_CHANNEL, state=PlanStepState.PENDING
    ).exists()


@dataclass(frozen=True)
class Outcome:
    """What a step did. `write(locked_incident)` runs in the transaction that records the step:
    its outbox rows and incident fields commit with it, or not at all."""

    state: str
    detail: str
    write: Callable[[Incident], object] | None = None


def _perform(step: IncidentPlanStep) -> Outcome:
    if step.action in SLACK_CHORES and not slack_configured():
        return Outcome(PlanStepState.SKIPPED, _("Slack is not configured."))
    return PERFORMERS[step.action](step)


def create_channel(step: IncidentPlanStep) -> Outcome:
    return Outcome(*incident_channel.create_channel(step.incident))


def invite_people(step: IncidentPlanStep) -> Outcome:
    return Outcome(*incident_channel.invite(step.incident))


def broadcast(step: IncidentPlanStep) -> Outcome:
    audiences = [step.audience] if step.audience else None
    who = ", ".join(audiences or announce.audiences_of(step.incident))
    return Outcome(
        PlanStepState.DONE,
        _("Announced to %(who)s.") % {"who": who},
        partial(announce.declared, audiences=audiences),
    )


def page_function(step: IncidentPlanStep) -> Outcome:
    incident, function = step.incident, step.function
    assert function is not None  # response.services refuses a page_function step without one
    holder = delegate_for(function=function, team=incident.team)
    if holder.user is None:
        return Outcome(
            PlanStepState.FAILED,
            _("Nobody to page for %(function)s: %(why)s.")
            % {"function": function.name, "why": holder.explanation},
        )
    headline = _("You are paged as %(function)s for %(ref)s: %(title)s") % {
        "function": function.name,
        "ref": incident.reference,
        "title": outbound_name(incident),
    }
    return Outcome(
        PlanStepState.DONE,
        _("Paged %(name)s (%(function)s).")
        % {"name": display_name(holder.user), "function": function.name},
        partial(_page, person=holder.user, headline=headline),
    )


def _page(incident: Incident, *, person: User, headline: str) -> None:
    announce.to_people(incident, "page", [person], headline, channels=settings.BEACON_PAGE_METHODS)


def schedule_reminders(step: IncidentPlanStep) -> Outcome:
    minutes = int(update_cadence(step.incident).total_seconds() // 60)
    return Outcome(
        PlanStepState.DONE,
        _("The commander is reminded every %(minutes)s minutes to post a status update.")
        % {"minutes": minutes},
        _enable_reminders,
    )


def _enable_reminders(incident: Incident) -> None:
    incident.update_reminders = True
    incident.save(update_fields=["update_reminders"])


def post_playbooks(step: IncidentPlanStep) -> Outcome:
    incident = step.incident
    links = incident.playbook_links.select_related("service", "version__playbook")
    lines = [
        _("%(service)s: %(url)s") % {"service": link.service.name, "url": _playbook_url(link)}
        if link.version_id
        else _("%(service)s has no approved playbook.") % {"service": link.service.name}
        for link in links
    ]
    if not lines:
        return Outcome(PlanStepState.SKIPPED, _("No affected service is named."))
    headline = _("Playbooks for %(ref)s") % {"ref": incident.reference}
    return _posted(headline, "\n".join(lines))


def post_document(step: IncidentPlanStep) -> Outcome:
    headline = _("Incident document for %(ref)s") % {"ref": step.incident.reference}
    return _post_link(step.incident, settings.BEACON_INCIDENT_DOCUMENT_URL, headline)


def video_bridge(step: IncidentPlanStep) -> Outcome:
    headline = _("Video bridge for %(ref)s") % {"ref": step.incident.reference}
    return _post_link(step.incident, settings.BEACON_VIDEO_BRIDGE_URL, headline)


def _post_link(incident: Incident, template: str, headline: str) -> Outcome:
    if not template:
        return Outcome(PlanStepState.SKIPPED, _("No link is configured for this step."))
    body = template.format(reference=incident.reference, channel=incident.channel_name)
    return _posted(headline, body)


def _posted(headline: str, body: str) -> Outcome:
    return Outcome(
        PlanStepState.DONE, body, partial(announce.to_responders, headline=headline, body=body)
    )


# What each automated action does (response/steps.py says when).
PERFORMERS: dict[str, Callable[[IncidentPlanStep], Outcome]] = {
    StepAction.CREATE_CHANNEL: create_channel,
    StepAction.INVITE_PEOPLE: invite_people,
    StepAction.BROADCAST: broadcast,
    StepAction.PAGE_FUNCTION: page_function,
    StepAction.POST_PLAYBOOK: post_playbooks,
    StepAction.POST_DOCUMENT: post_document,
    StepAction.VIDEO_BRIDGE: video_bridge,
    StepAction.SCHEDULE_REMINDERS: schedule_reminders,
}


def _playbook_url(link: IncidentPlaybook) -> str:
    return absolute_url("playbooks:service", link.service.slug)


@transaction.atomic
def _record_done(step_id: int, outcome: Outcome) -> None:
    step = IncidentPlanStep.objects.select_for_update().filter(pk=step_id).first()
    if step is None or step.state != PlanStepState.PENDING:
        return  # done meanwhile by another run
    incident = lock_incident(step.incident)
    state, detail = outcome.state, outcome.detail
    if outcome.write is not None and state == PlanStepState.DONE:
        outcome.write(incident)
    step.state, step.detail, step.done_at = state, detail[:2000], timezone.now()
    step.attempts += 1
    step.save(update_fields=["state", "detail", "done_at", "attempts"])
    record_event(
        incident,
        TimelineKind.PLAN_STEP,
        None,
        f"{step.title}: {detail}",
        after={"step": step.pk, "action": step.action, "state": state},
    )


@transaction.atomic
def _record_failure(step_id: int, error: DeliveryError) -> float | None:
    """Count the attempt; the wait before the next one, or None when the step has failed."""
    step = IncidentPlanStep.objects.select_for_update().filter(pk=step_id).first()
    if step is None or step.state != PlanStepState.PENDING:
        return None
    step.attempts += 1
    step.detail = str(error)[:2000]
    if isinstance(error, RetryableError) and step.attempts < settings.BEACON_DELIVERY_MAX_ATTEMPTS:
        step.save(update_fields=["attempts", "detail"])
        return max(backoff_seconds(step.attempts), error.retry_after or 0)
    step.state, step.done_at = PlanStepState.FAILED, timezone.now()
    step.save(update_fields=["attempts", "detail", "state", "done_at"])
    record_event(
        step.incident,
        TimelineKind.PLAN_STEP,
        None,
        _("%(step)s failed after %(attempts)s attempt(s): %(error)s")
        % {"step": step.title, "attempts": step.attempts, "error": step.detail},
        after={"step": step.pk, "action": step.action, "state": step.state},
    )
    return None


@transaction.atomic
def incident_complete_plan_step(
    *, incident: Incident, actor: User, step_id: int | str
) -> IncidentPlanStep:
    """Tick off a manual (checklist) step of the response plan."""
    if not access.can_act(actor, incident):
        raise PermissionDenied(_("You cannot change this incident."))
    incident = lock_incident(incident)
    require_active(incident, _("complete response plan steps"))
    step = (
        IncidentPlanStep.objects.select_for_update().filter(pk=step_id, incident=incident).first()
    )
    if step is None:
        raise ValidationError({"step": _("This step is not part of the incident's plan.")})
    if not step.is_manual:
        raise ValidationError({"step": _("This step runs by itself; it cannot be ticked off.")})
    if step.state != PlanStepState.PENDING:
        raise ValidationError({"step": _("This step is already done.")})
    step.state, step.done_at, step.done_by = PlanStepState.DONE, timezone.now(), actor
    step.save(update_fields=["state", "done_at", "done_by"])
    record_event(
        incident,
        TimelineKind.PLAN_STEP,
        actor,
        _("Done: %(step)s") % {"step": step.title},
        after={"step": step.pk, "action": step.action, "state": step.state},
    )
    return step


def response_plans_sweep(*, now: datetime | None = None) -> int:
    """Queue the plans whose automated steps are still pending after the grace period."""
    now = now or timezone.now()
    grace = now - timedelta(seconds=settings.BEACON_SWEEP_GRACE_SECONDS)
    waiting = IncidentPlanStep.objects.filter(
        incident=OuterRef("pk"), state=PlanStepState.PENDING
    ).exclude(action=StepAction.MANUAL)
    incident_ids = list(
        Incident.objects.filter(
            Exists(waiting), status__in=IncidentStatus.active(), declared_at__lte=grace
        ).values_list("pk", flat=True)
    )
    for pk in incident_ids:
        publish_run(pk)
    return len(incident_ids)
