"""Handing critical functions over during an incident, and the reminder to do so."""

from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import TransitionNotAllowed
from core.names import display_name
from incidents import access, staffing
from incidents.models import Incident, RoleAssignment, TimelineKind
from people.models import CriticalFunction
from policy import selectors as policy_selectors

from . import announce
from .base import lock_incident, record_event, require_active


@transaction.atomic
def incident_hand_over_role(
    *,
    incident: Incident,
    actor: User,
    function: CriticalFunction,
    to_user: User | None,
    note: str | None = "",
) -> RoleAssignment:
    incident = lock_incident(incident)
    access.ensure_can_act(actor, incident)
    require_active(incident, _("have roles handed over"))
    if not function.is_active:
        raise ValidationError({"function": _("%(f)s is not in use.") % {"f": function.name}})
    if to_user is None or not to_user.is_active:
        raise ValidationError({"to_user": _("Choose an active person to hand over to.")})
    current = (
        RoleAssignment.objects.filter(incident=incident, function=function, ended_at=None)
        .select_related("user")
        .first()
    )
    if current and current.user_id == to_user.pk:
        raise TransitionNotAllowed(
            _("%(user)s already holds %(function)s.")
            % {"user": display_name(to_user), "function": function.name}
        )
    note = (note or "").strip()
    staffing.assign(
        incident=incident,
        function=function,
        user=to_user,
        actor=actor,
        reason=note or _("handover"),
    )
    incident.save(update_fields=["commander", "responder"])
    before = {"function": function.slug, "user": current.user.get_username() if current else None}
    message = (
        _("%(old)s handed %(function)s over to %(new)s.")
        % {
            "old": display_name(current.user),
            "function": function.name,
            "new": display_name(to_user),
        }
        if current
        else _("%(new)s took %(function)s.")
        % {"new": display_name(to_user), "function": function.name}
    )
    record_event(
        incident,
        TimelineKind.ROLE_HANDED_OVER,
        actor,
        f"{message} {note}".strip(),
        before=before,
        after={"function": function.slug, "user": to_user.get_username()},
    )
    announce.role_handed_over(incident, function, current.user if current else None, to_user)
    return RoleAssignment.objects.get(incident=incident, function=function, ended_at=None)


@transaction.atomic
def role_flag_handover_due(*, assignment_id: int, now: datetime | None = None) -> bool:
    """Record once that a role holder passed the policy's maximum continuous hours.

    Returns whether it was flagged now; calling it again, or for an ended role, does nothing.
    """
    now = now or timezone.now()
    assignment = (
        RoleAssignment.objects.select_for_update()
        .select_related("incident", "function", "user")
        .filter(pk=assignment_id, ended_at=None, handover_reminded_at=None)
        .first()
    )
    if assignment is None or not assignment.incident.is_active:
        return False
    incident = assignment.incident
    level = policy_selectors.policy_level(
        version=incident.policy_version, severity=incident.severity
    )
    if level is None or now < assignment.started_at + timedelta(hours=level.max_continuous_hours):
        return False
    assignment.handover_reminded_at = now
    assignment.save(update_fields=["handover_reminded_at"])
    record_event(
        incident,
        TimelineKind.HANDOVER_DUE,
        None,
        _("%(user)s has been %(function)s for over %(hours)s hours: hand over.")
        % {
            "user": display_name(assignment.user),
            "function": assignment.function.name,
            "hours": level.max_continuous_hours,
        },
        after={"function": assignment.function.slug, "user": assignment.user.get_username()},
    )
    return True
