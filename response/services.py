"""Response plans: which one applies, and the rule that every audience has a backup."""

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _

from policy.models import IncidentType, SeverityLevel
from response.models import (
    CommunicationMethod,
    PlanAudience,
    PlanEventKind,
    ResponsePlan,
    ResponsePlanEvent,
    ResponsePlanStep,
    StepAction,
    TargetKind,
)

SLACK_ONLY_TARGETS = {TargetKind.INCIDENT_CHANNEL, TargetKind.BROADCAST_CHANNEL}
PERSON_CHANNELS = {"slack", "email", "sms", "voice"}


def response_plan_for(
    *, incident_type: IncidentType | None, severity: SeverityLevel | None
) -> ResponsePlan | None:
    """The most specific active plan: type and severity, type, severity, then the default."""
    plans = (
        ResponsePlan.objects.filter(is_active=True)
        .filter(Q(incident_type=incident_type) | Q(incident_type__isnull=True))
        .filter(Q(severity=severity) | Q(severity__isnull=True))
        .prefetch_related(
            "steps", Prefetch("communication_methods", CommunicationMethod.objects.all())
        )
    )
    return min(
        plans,
        key=lambda p: (p.incident_type_id is None, p.severity_id is None),
        default=None,
    )


def method_errors(method: CommunicationMethod) -> dict[str, str]:
    """What is wrong with one communication method, as {field: message}."""
    errors = {}
    if method.target in SLACK_ONLY_TARGETS and method.channel != "slack":
        errors["target"] = _("Only Slack has an incident or broadcast channel.")
    if method.target == TargetKind.EACH_PERSON and method.channel not in PERSON_CHANNELS:
        errors["target"] = _("%(channel)s cannot reach a person: give its address.") % {
            "channel": method.get_channel_display()
        }
    if method.target == TargetKind.FIXED and not method.address.strip():
        errors["address"] = _("Give the address this method sends to.")
    if method.target != TargetKind.FIXED and method.address.strip():
        errors["address"] = _("Leave empty: the address comes from the incident or the person.")
    return errors


def plan_errors(
    *, steps: Iterable[ResponsePlanStep], methods: Iterable[CommunicationMethod]
) -> list[str]:
    """Why a plan cannot be active: every audience it speaks to needs a backup method on
    another channel, and each step needs what its action uses."""
    errors: list[str] = []
    by_audience: dict[str, list[CommunicationMethod]] = {}
    for method in sorted(methods, key=lambda m: m.rank):
        by_audience.setdefault(method.audience, []).append(method)
    for audience, ranked in by_audience.items():
        label = PlanAudience(audience).label
        if len(ranked) < 2:
            errors.append(
                _("%(audience)s: add a backup method (Slack down → email → SMS …).")
                % {"audience": label}
            )
        elif len({m.channel for m in ranked}) < 2:
            errors.append(
                _("%(audience)s: the backup must use another channel than %(channel)s.")
                % {"audience": label, "channel": ranked[0].get_channel_display()}
            )
    if not by_audience.get(PlanAudience.RESPONDERS):
        errors.append(_("Responders: say how they are reached, with a backup method."))
    for step in steps:
        if step.action == StepAction.PAGE_FUNCTION and step.function_id is None:
            errors.append(_("Step “%(step)s”: choose the function to page.") % {"step": step})
        if (
            step.action == StepAction.BROADCAST
            and step.audience
            and step.audience not in by_audience
        ):
            errors.append(
                _("Step “%(step)s”: the plan has no methods for %(audience)s.")
                % {"step": step, "audience": PlanAudience(step.audience).label}
            )
        if step.action == StepAction.MANUAL and not step.title.strip():
            errors.append(_("A manual step needs a title: it becomes a checklist item."))
    return errors


@transaction.atomic
def response_plan_activate(*, plan: ResponsePlan, actor: User | None = None) -> ResponsePlan:
    plan = ResponsePlan.objects.select_for_update().get(pk=plan.pk)
    errors = plan_errors(
        steps=list(plan.steps.all()), methods=list(plan.communication_methods.all())
    )
    clash = ResponsePlan.objects.filter(
        is_active=True, incident_type=plan.incident_type, severity=plan.severity
    ).exclude(pk=plan.pk)
    if clash.exists():
        errors.append(
            _("“%(other)s” is already active for the same incident type and severity.")
            % {"other": clash.first()}
        )
    if errors:
        raise ValidationError(errors)
    if not plan.is_active:
        plan.is_active = True
        plan.save(update_fields=["is_active"])
        ResponsePlanEvent.objects.create(plan=plan, kind=PlanEventKind.ACTIVATED, actor=actor)
    return plan


@transaction.atomic
def response_plan_deactivate(*, plan: ResponsePlan, actor: User | None = None) -> ResponsePlan:
    if ResponsePlan.objects.filter(pk=plan.pk, is_active=True).update(is_active=False):
        ResponsePlanEvent.objects.create(plan=plan, kind=PlanEventKind.DEACTIVATED, actor=actor)
    plan.is_active = False
    return plan
