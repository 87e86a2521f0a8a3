"""Filling an incident's critical functions from the delegates; called inside the services'
transactions, so assignments and their timeline events commit with the change that caused them.
"""

from datetime import datetime

from django.contrib.auth.models import User
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.names import display_name
from incidents.models import Incident, RoleAssignment, TimelineKind
from people.models import CriticalFunction, IncidentRoleField
from people.selectors import delegate_for
from policy.models import PolicyLevel

from . import access
from .timeline import record_event


def required_functions(level):
    """The commander and responder functions always; the others the policy level pages."""
    paged = [f.pk for f in level.paged_functions.all()] if level else []
    return list(
        CriticalFunction.objects.filter(is_active=True)
        .filter(~Q(incident_field="") | Q(pk__in=paged))
        .order_by("position", "name")
    )


def assign(
    *,
    incident: Incident,
    function: CriticalFunction,
    user: User,
    actor: User | None,
    reason: str,
    at: datetime | None = None,
) -> None:
    """Make `user` the current holder of `function`, ending whoever held it."""
    at = at or timezone.now()
    RoleAssignment.objects.filter(incident=incident, function=function, ended_at=None).update(
        ended_at=at
    )
    RoleAssignment.objects.create(
        incident=incident,
        function=function,
        user=user,
        started_at=at,
        assigned_by=actor,
        reason=reason,
    )
    if function.incident_field:
        setattr(incident, function.incident_field, user)
    access.grant_participant(incident, user)


def staff_incident(
    *, incident: Incident, actor: User, level: PolicyLevel | None
) -> list[CriticalFunction]:
    """Fill every required function: with the person the declarer named, else a delegate.

    Returns the functions nobody could fill; each fill and each gap is in the timeline.
    """
    gaps = []
    for function in required_functions(level):
        named = getattr(incident, function.incident_field) if function.incident_field else None
        if named is not None:
            user, reason = named, _("named at declaration")
        else:
            holder = delegate_for(function=function, team=incident.team, at=incident.declared_at)
            user, reason = holder.user, holder.explanation
        if user is None:
            gaps.append(function)
            record_event(
                incident,
                TimelineKind.STAFFING_GAP,
                actor,
                _("Nobody available as %(function)s: %(why)s.")
                % {"function": function.name, "why": reason},
                after={"function": function.slug},
            )
            continue
        assign(incident=incident, function=function, user=user, actor=actor, reason=reason)
        record_event(
            incident,
            TimelineKind.ROLE_ASSIGNED,
            actor,
            _("%(user)s is %(function)s (%(why)s).")
            % {"user": display_name(user), "function": function.name, "why": reason},
            after={"function": function.slug, "user": user.get_username()},
        )
    incident.save(update_fields=[f for f in IncidentRoleField.values if f])
    return gaps


def current_holders(incident):
    return list(
        RoleAssignment.objects.filter(incident=incident, ended_at=None)
        .select_related("function", "user")
        .order_by("function__position", "function__name")
    )


def staffing_gaps(incident, level):
    held = {a.function_id for a in current_holders(incident)}
    return [f for f in required_functions(level) if f.pk not in held]
