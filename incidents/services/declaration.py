"""Declaring an incident: reference, channel name, priority, policy, staffing, in one
transaction (see lifecycle.py for the refusal conventions)."""

import re
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Service
from incidents import access, staffing
from incidents.access import AnyUser
from incidents.models import (
    Incident,
    IncidentCriterion,
    IncidentSource,
    ReferenceSequence,
    TimelineKind,
)
from people.models import Team
from policy import selectors as policy_selectors
from policy.models import Impact, IncidentType, Priority, SeverityLevel, Urgency

from .base import (
    check_broadcast_channel,
    check_moments,
    clean_list,
    measure_compliance,
    policy_level_of,
    record_event,
    update_cadence,
)
from .playbooks import link_playbooks
from .response_plan import response_plan_start
from .slack_participants import add_slack_participants, clean_slack_participants

CHANNEL_NAME_PART = re.compile(r"^[a-z0-9_-]{1,60}$")


def _check_priority(
    errors: dict[str, str],
    *,
    impact_level: str,
    urgency: str,
    priority: Priority | None,
    override_reason: str,
) -> Priority | None:
    """The matrix suggests a priority; choosing another needs a reason. Returns the priority."""
    if impact_level and impact_level not in Impact.values:
        errors["impact_level"] = _("Choose high, medium or low.")
    if urgency and urgency not in Urgency.values:
        errors["urgency"] = _("Choose high, medium or low.")
    if "impact_level" in errors or "urgency" in errors or not (impact_level and urgency):
        return priority
    suggested = policy_selectors.priority_suggestion(impact_level=impact_level, urgency=urgency)
    if priority is None or suggested is None:
        return priority or suggested
    if priority != suggested and not override_reason:
        errors["priority_override_reason"] = _(
            "The priority matrix suggests %(suggested)s for %(impact)s impact and %(urgency)s "
            "urgency; say why %(chosen)s instead."
        ) % {
            "suggested": suggested.name,
            "impact": Impact(impact_level).label.lower(),
            "urgency": Urgency(urgency).label.lower(),
            "chosen": priority.name,
        }
    return priority


def channel_name_part(text: str) -> str:
    slug = re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-_")
    return slug[:60].rstrip("-_") or "incident"


def channel_name(name_part: str, day: datetime) -> str:
    """The incident channel's name: inc_<name>_<yyyymmdd>."""
    return f"inc_{name_part}_{day:%Y%m%d}"


def _unique_channel_name(name_part: str, day: datetime) -> str:
    suffix_number = 1
    while True:
        suffix = "" if suffix_number == 1 else f"-{suffix_number}"
        candidate = channel_name(f"{name_part[: 60 - len(suffix)]}{suffix}", day)
        if not Incident.objects.filter(channel_name=candidate).exists():
            return candidate
        suffix_number += 1


def _next_reference(year: int) -> str:
    """The year's next reference, gapless. One statement creates or bumps the year's row and
    takes its lock, held until the declaration commits: declarations made at once wait for
    each other only from here on, so this is the declaration's last write."""
    table = connection.ops.quote_name(ReferenceSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (year, last_number) VALUES (%s, 1) "
            f"ON CONFLICT (year) DO UPDATE SET last_number = {table}.last_number + 1 "
            "RETURNING last_number",
            [year],
        )
        (number,) = cursor.fetchone()
    return f"{settings.BEACON_REFERENCE_PREFIX}-{year}-{number:04d}"


def _pending_reference() -> str:
    """A unique stand-in until the reference is taken, at the end of the declaration."""
    return f"~{uuid.uuid4().hex[:19]}"


def _take_reference(incident: Incident, now: datetime, *, named_after: str | None) -> None:
    """Give `incident` its reference and its channel's name (`named_after` the typed name, the
    title, or for a private incident None: the reference). Both are chosen under the
    reference's lock, so declarations made at once never pick the same free name; nothing
    written before this shows the stand-ins."""
    reference = _next_reference(now.year)
    name_part = named_after or channel_name_part(reference)
    changes = {"reference": reference, "channel_name": _unique_channel_name(name_part, now)}
    Incident.objects.filter(pk=incident.pk).update(**changes)
    for field, value in changes.items():
        setattr(incident, field, value)


class CheckedDeclaration(NamedTuple):
    """A declaration's input, cleaned: what `incident_declare` writes in place of what it got."""

    title: str
    name: str
    services: list[Service]
    broadcast_channel: str
    slack_participants: list[tuple[str, str]]
    priority: Priority | None
    priority_override_reason: str


def declaration_form_errors(
    *,
    title: str,
    name: str,
    affects_customers: bool,
    unplanned: bool,
    exceeds_one_hour: bool,
    confirm_definition: bool = False,
) -> dict[str, str]:
    """The mistakes a declaration's own answers show, without the database (field → message):
    what a front answering at once can refuse before it stores anything."""
    errors: dict[str, str] = {}
    if not (title or "").strip():
        errors["title"] = _("Give the incident a title.")
    name = (name or "").strip()
    if name and not CHANNEL_NAME_PART.match(name):
        errors["name"] = _(
            "Use 1 to 60 lowercase letters, digits, '-' or '_' for the channel name."
        )
    if not (affects_customers and unplanned and exceeds_one_hour) and not confirm_definition:
        errors["confirm_definition"] = _(
            "This does not meet the definition of an incident (negatively affects customers, "
            "was not planned, cannot be resolved within 1 hour). Confirm to declare it anyway."
        )
    return errors


def declaration_checked(
    *,
    actor: AnyUser,
    now: datetime,
    title: str,
    name: str,
    incident_type: IncidentType | None,
    severity: SeverityLevel | None,
    affects_customers: bool,
    unplanned: bool,
    exceeds_one_hour: bool,
    confirm_definition: bool = False,
    services: Iterable[Service] = (),
    impact_started_at: datetime | None = None,
    detected_at: datetime | None = None,
    broadcast_channel: str = "",
    slack_participants: Iterable[tuple[str, str | None]] = (),
    impact_level: str = "",
    urgency: str = "",
    priority: Priority | None = None,
    priority_override_reason: str = "",
) -> CheckedDeclaration:
    """Check a declaration without writing anything: PermissionDenied, or ValidationError
    with the fields' messages (`declaration_form_errors`' among them)."""
    if not access.can_declare(actor):
        raise PermissionDenied(_("You are not allowed to declare incidents."))
    errors = declaration_form_errors(
        title=title,
        name=name,
        affects_customers=affects_customers,
        unplanned=unplanned,
        exceeds_one_hour=exceeds_one_hour,
        confirm_definition=confirm_definition,
    )
    title = (title or "").strip()
    name = (name or "").strip()
    services = list(dict.fromkeys(services or ()))
    inactive = [service.name for service in services if not service.is_active]
    if inactive:
        errors["services"] = _("No longer in service: %(names)s.") % {"names": ", ".join(inactive)}
    if incident_type is None:
        errors["incident_type"] = _("Choose the incident type.")
    elif not incident_type.is_active:
        errors["incident_type"] = _("This incident type is no longer offered.")
    if severity is None:
        errors["severity"] = _("Choose the severity.")
    check_moments(errors, impact_started_at=impact_started_at, detected_at=detected_at, now=now)
    broadcast_channel = (broadcast_channel or "").strip()
    check_broadcast_channel(errors, broadcast_channel)
    slack_participants = clean_slack_participants(errors, slack_participants)
    priority_override_reason = (priority_override_reason or "").strip()
    priority = _check_priority(
        errors,
        impact_level=impact_level,
        urgency=urgency,
        priority=priority,
        override_reason=priority_override_reason,
    )
    if errors:
        raise ValidationError(errors)
    return CheckedDeclaration(
        title=title,
        name=name,
        services=services,
        broadcast_channel=broadcast_channel,
        slack_participants=slack_participants,
        priority=priority,
        priority_override_reason=priority_override_reason,
    )


@transaction.atomic
def incident_declare(
    *,
    actor: User,
    title: str,
    incident_type: IncidentType | None,
    severity: SeverityLevel | None,
    affects_customers: bool,
    unplanned: bool,
    exceeds_one_hour: bool,
    confirm_definition: bool = False,
    name: str = "",
    summary: str = "",
    impact: str = "",
    priority: Priority | None = None,
    services: Iterable[Service] = (),
    environments: Iterable[str] = (),
    regions: Iterable[str] = (),
    is_private: bool | None = None,
    is_drill: bool = False,
    source: str = IncidentSource.PORTAL,
    commander: User | None = None,
    responder: User | None = None,
    invitees: Iterable[User] = (),
    slack_participants: Iterable[tuple[str, str | None]] = (),
    broadcast_channel: str = "",
    impact_started_at: datetime | None = None,
    detected_at: datetime | None = None,
    team: Team | None = None,
    impact_level: str = "",
    urgency: str = "",
    priority_override_reason: str = "",
) -> Incident:
    now = timezone.now()
    checked = declaration_checked(
        actor=actor,
        now=now,
        title=title,
        name=name,
        incident_type=incident_type,
        severity=severity,
        affects_customers=affects_customers,
        unplanned=unplanned,
        exceeds_one_hour=exceeds_one_hour,
        confirm_definition=confirm_definition,
        services=services,
        impact_started_at=impact_started_at,
        detected_at=detected_at,
        broadcast_channel=broadcast_channel,
        slack_participants=slack_participants,
        impact_level=impact_level,
        urgency=urgency,
        priority=priority,
        priority_override_reason=priority_override_reason,
    )
    title, name, services = checked.title, checked.name, checked.services
    broadcast_channel, slack_participants = checked.broadcast_channel, checked.slack_participants
    priority, priority_override_reason = checked.priority, checked.priority_override_reason
    assert incident_type is not None and severity is not None  # declaration_checked refuses None

    is_private = incident_type.private_by_default if is_private is None else is_private
    pending = _pending_reference()
    # A private incident's channel is named after its reference: its title stays inside.
    named_after = name or (None if is_private else channel_name_part(title))
    incident = Incident(
        reference=pending,
        title=title,
        channel_name=channel_name(channel_name_part(pending), now),  # unique, as its reference
        summary=summary.strip(),
        impact=impact.strip(),
        incident_type=incident_type,
        severity=severity,
        priority=priority,
        impact_level=impact_level or "",
        urgency=urgency or "",
        priority_override_reason=priority_override_reason,
        team=team,
        policy_version=policy_selectors.policy_effective(),
        environments=clean_list(environments),
        regions=clean_list(regions),
        is_private=is_private,
        is_drill=is_drill,
        source=source,
        broadcast_channel=broadcast_channel,
        declared_by=actor,
        commander=commander,
        responder=responder,
        affects_customers=affects_customers,
        unplanned=unplanned,
        exceeds_one_hour=exceeds_one_hour,
        definition_override=not (affects_customers and unplanned and exceeds_one_hour),
        impact_started_at=impact_started_at,
        detected_at=detected_at or now,
        declared_at=now,
    )
    level = policy_level_of(incident)
    incident.next_update_due = now + update_cadence(incident, level)
    # The related rows were just read, the stand-in reference and channel name are unique and
    # the status is the first one: what is left to check needs no query.
    incident.full_clean(
        exclude=[field.name for field in Incident._meta.fields if field.is_relation],
        validate_unique=False,
        validate_constraints=False,
    )
    incident.save()
    invitees = list(invitees)
    if invitees:
        incident.invitees.add(*invitees)
    if services:
        incident.services.add(*services)
    IncidentCriterion.objects.bulk_create(
        IncidentCriterion(
            incident=incident,
            source=criterion,
            text=criterion.text,
            required=criterion.required,
            position=criterion.position,
        )
        for criterion in incident.incident_type.exit_criteria.all()
    )
    access.grant_participants(incident, [actor, commander, responder, *invitees])
    if incident.is_private:
        access.grant_security_group(incident)
    plan = response_plan_start(incident)
    record_event(
        incident,
        TimelineKind.DECLARED,
        actor,
        _("Declared %(severity)s %(type)s incident from the %(source)s.")
        % {
            "severity": severity.name,
            "type": incident_type.name,
            "source": IncidentSource(source).label,
        },
        after={
            "status": incident.status,
            "severity": severity.name,
            "private": incident.is_private,
            "meets_definition": incident.meets_definition,
            "policy": incident.policy_version.number if incident.policy_version else None,
            "response_plan": plan,
        },
    )
    add_slack_participants(incident, slack_participants, actor)
    link_playbooks(incident, services, actor)
    # An incident without a team could later be staffed by its services' owner teams.
    staffing.staff_incident(incident=incident, actor=actor, level=level)
    measure_compliance(incident, new=True)
    _take_reference(incident, now, named_after=named_after)
    return incident
