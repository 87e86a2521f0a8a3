"""Response plans: which one applies, the rule that every audience has a backup, and every
change to a plan, one function each, each recorded as a `ResponsePlanEvent` in its transaction."""

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from core.exceptions import TransitionNotAllowed
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
PLAN_FIELDS = ("name", "incident_type", "severity", "description")
SCOPE_FIELDS = ("incident_type", "severity")
STEP_FIELDS = ("position", "action", "title", "audience", "function")
METHOD_FIELDS = ("audience", "rank", "channel", "target", "address")

Part = TypeVar("Part", ResponsePlanStep, CommunicationMethod)


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
        _record(plan, PlanEventKind.ACTIVATED, actor)
    return plan


@transaction.atomic
def response_plan_deactivate(*, plan: ResponsePlan, actor: User | None = None) -> ResponsePlan:
    if ResponsePlan.objects.filter(pk=plan.pk, is_active=True).update(is_active=False):
        _record(plan, PlanEventKind.DEACTIVATED, actor)
    plan.is_active = False
    return plan


def _record(
    plan: ResponsePlan, kind: PlanEventKind, actor: User | None, message: str = ""
) -> ResponsePlanEvent:
    return ResponsePlanEvent.objects.create(
        plan=plan, plan_name=plan.name, kind=kind, actor=actor, message=message
    )


def _require(actor: User | None, action: str, plan: ResponsePlan | None = None) -> User:
    if not (actor and actor.is_active and actor.has_perm(f"response.{action}_responseplan")):
        if plan is None:
            raise PermissionDenied(_("You are not allowed to add response plans."))
        if action == "delete":
            raise PermissionDenied(_("You may not delete %(plan)s.") % {"plan": plan})
        raise PermissionDenied(_("You may not change %(plan)s.") % {"plan": plan})
    return actor


def _check_fields(fields: Iterable[str]) -> None:
    unknown = set(fields) - set(PLAN_FIELDS)
    if unknown:
        raise TypeError(f"Not a plan field: {', '.join(sorted(unknown))}")


def _shown(value: Any) -> str:
    return "—" if value in (None, "") else f"“{value}”"


@transaction.atomic
def response_plan_create(
    *,
    actor: User,
    steps: Iterable[ResponsePlanStep] = (),
    methods: Iterable[CommunicationMethod] = (),
    **fields: Any,
) -> ResponsePlan:
    """A new plan, inactive, with its steps and methods; needs `response.add_responseplan`.
    `fields`: any of PLAN_FIELDS."""
    actor = _require(actor, "add")
    _check_fields(fields)
    plan = ResponsePlan(**fields)
    plan.full_clean()
    plan.save()
    _record(plan, PlanEventKind.CREATED, actor, _("Created, inactive."))
    _set_parts(plan, actor, list(steps), list(methods))
    return plan


@transaction.atomic
def response_plan_update(*, actor: User, plan: ResponsePlan, **changes: Any) -> ResponsePlan:
    """Change a plan's fields (any of PLAN_FIELDS); needs `response.change_responseplan`. An
    active plan keeps its scope: activation is where a scope is checked against the others."""
    actor = _require(actor, "change", plan)
    _check_fields(changes)
    plan = ResponsePlan.objects.select_for_update().get(pk=plan.pk)
    changed = {f: v for f, v in changes.items() if getattr(plan, f) != v}
    if plan.is_active and set(changed) & set(SCOPE_FIELDS):
        message = _("An active plan keeps its scope: deactivate it first.")
        raise ValidationError({f: message for f in SCOPE_FIELDS if f in changed})
    if not changed:
        return plan
    labels = {field.name: str(field.verbose_name) for field in ResponsePlan._meta.concrete_fields}
    described = []
    for field, value in changed.items():
        label = labels[field]
        if field == "description":
            described.append(_("%(field)s changed") % {"field": label})
        else:
            described.append(f"{label}: {_shown(getattr(plan, field))} → {_shown(value)}")
        setattr(plan, field, value)
    plan.full_clean()
    plan.save(update_fields=list(changed))
    _record(plan, PlanEventKind.EDITED, actor, "; ".join(described) + ".")
    return plan


@transaction.atomic
def response_plan_delete(*, actor: User, plan: ResponsePlan) -> None:
    """Delete an inactive plan with its steps and methods; needs `response.delete_responseplan`.
    Its history stays, with the deletion last: an active plan is deactivated first, so that
    what decides who is paged never disappears unrecorded."""
    actor = _require(actor, "delete", plan)
    plan = ResponsePlan.objects.select_for_update().get(pk=plan.pk)
    if plan.is_active:
        raise TransitionNotAllowed(_("%(plan)s is active: deactivate it first.") % {"plan": plan})
    steps, methods = plan.steps.count(), plan.communication_methods.count()
    _record(
        plan,
        PlanEventKind.DELETED,
        actor,
        _("Deleted, with its steps (%(steps)d) and communication methods (%(methods)d).")
        % {"steps": steps, "methods": methods},
    )
    plan.delete()


@transaction.atomic
def response_plan_parts_set(
    *,
    actor: User,
    plan: ResponsePlan,
    steps: Iterable[ResponsePlanStep] | None = None,
    methods: Iterable[CommunicationMethod] | None = None,
) -> ResponsePlan:
    """Make the plan's steps, its methods or both exactly those given (None: unchanged); needs
    `response.change_responseplan`. A row with a pk changes that row of the plan, one without
    is added, a row not given is removed. Steps and methods are set together because an active
    plan must stay valid with both as they are left: the rule is checked once, on the result."""
    actor = _require(actor, "change", plan)
    plan = ResponsePlan.objects.select_for_update().get(pk=plan.pk)
    _set_parts(
        plan,
        actor,
        None if steps is None else list(steps),
        None if methods is None else list(methods),
    )
    return plan


def _set_parts(
    plan: ResponsePlan,
    actor: User,
    steps: list[ResponsePlanStep] | None,
    methods: list[CommunicationMethod] | None,
) -> None:
    new_steps = None if steps is None else _merged(plan, plan.steps.all(), steps, STEP_FIELDS)
    new_methods = (
        None
        if methods is None
        else _merged(plan, plan.communication_methods.all(), methods, METHOD_FIELDS)
    )
    errors = _parts_errors(new_methods or [])
    if plan.is_active:
        errors += [
            _("This plan is active: %(problem)s") % {"problem": problem}
            for problem in plan_errors(
                steps=new_steps if new_steps is not None else plan.steps.all(),
                methods=new_methods
                if new_methods is not None
                else plan.communication_methods.all(),
            )
        ]
    if errors:
        raise ValidationError(errors)
    if new_steps is not None:
        _save_parts(plan, actor, PlanEventKind.STEPS_CHANGED, plan.steps.all(), new_steps)
    if new_methods is not None:
        _save_parts(
            plan,
            actor,
            PlanEventKind.METHODS_CHANGED,
            plan.communication_methods.all(),
            new_methods,
        )


def _parts_errors(methods: Sequence[CommunicationMethod]) -> list[str]:
    errors = [
        f"{method}: {message}" for method in methods for message in method_errors(method).values()
    ]
    ranks = [(m.audience, m.rank) for m in methods]
    for audience, rank in sorted({r for r in ranks if ranks.count(r) > 1}):
        errors.append(
            _("%(audience)s: two methods have rank %(rank)d.")
            % {"audience": PlanAudience(audience).label, "rank": rank}
        )
    return errors


def _merged(
    plan: ResponsePlan, stored: QuerySet[Part], rows: list[Part], fields: Sequence[str]
) -> list[Part]:
    """The rows as they will be saved: each given row's values on the plan's row of its pk, or
    on a new row. Checked, not saved."""
    by_pk = {part.pk: part for part in stored}
    attnames = [f.attname for f in stored.model._meta.concrete_fields if f.name in fields]
    merged = []
    for row in rows:
        if row.pk is None:
            part = type(row)(plan=plan)
        elif row.pk in by_pk:
            part = by_pk[row.pk]
        else:
            raise ValidationError(_("“%(row)s” is not part of this plan.") % {"row": row})
        for attname in attnames:
            setattr(part, attname, getattr(row, attname))
        part.plan = plan
        # Uniqueness across the rows is checked on them all at once (`_parts_errors`).
        part.full_clean(validate_unique=False, validate_constraints=False)
        merged.append(part)
    return merged


def _save_parts(
    plan: ResponsePlan,
    actor: User,
    kind: PlanEventKind,
    stored_rows: QuerySet[Part],
    merged: Sequence[Part],
) -> None:
    """Save the merged rows and delete the plan's others, recording what changed, if anything."""
    stored = {part.pk: part for part in stored_rows}
    kept = {part.pk for part in merged if part.pk is not None}
    removed = [part for pk, part in stored.items() if pk not in kept]
    added: list[Part] = []
    changed: list[Part] = []
    for part in removed:
        part.delete()
    for part in merged:
        if part.pk is None:
            part.save()
            added.append(part)
        elif _values(part) != _values(stored[part.pk]):
            part.save()
            changed.append(part)
    described = [
        f"{what} {', '.join(f'“{part}”' for part in parts)}"
        for what, parts in [(_("added"), added), (_("changed"), changed), (_("removed"), removed)]
        if parts
    ]
    if described:
        message = f"{kind.label}: {'; '.join(described)}."
        _record(plan, kind, actor, message)


def _values(part: Model) -> list[Any]:
    return [getattr(part, field.attname) for field in part._meta.concrete_fields]
