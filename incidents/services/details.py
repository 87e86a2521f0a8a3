"""What responders write on an incident besides its status and severity: its descriptive details
(title, impact, services, commander and responder...) and notes in the timeline. See lifecycle.py
for the refusal conventions.
"""

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.changes import refuse_unknown, strip
from incidents import access, staffing
from incidents.models import (
    Incident,
    RoleAssignment,
    TimelineEvent,
    TimelineKind,
)
from people.models import CriticalFunction

from .base import (
    check_broadcast_channel,
    check_moments,
    clean_list,
    lock_incident,
    record_event,
    require_open,
)
from .playbooks import link_playbooks

EDITABLE_DETAILS = (
    "title",
    "summary",
    "impact",
    "priority",
    "services",
    "environments",
    "regions",
    "broadcast_channel",
    "impact_started_at",
    "detected_at",
    "commander",
    "responder",
)


@transaction.atomic
def incident_add_note(*, incident: Incident, actor: User, text: str | None) -> TimelineEvent:
    incident = lock_incident(incident)
    access.ensure_can_act(actor, incident)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write the note.")})
    return record_event(incident, TimelineKind.NOTE, actor, text)


@transaction.atomic
def incident_update_details(*, incident: Incident, actor: User, **changes: Any) -> Incident:
    """Edit the descriptive fields (not status or severity); each change is in the timeline."""
    refuse_unknown(changes, EDITABLE_DETAILS)
    incident = lock_incident(incident)
    access.ensure_can_act(actor, incident)
    require_open(incident, _("Incident %(ref)s is %(status)s: its details can no longer change."))
    for field in ("environments", "regions"):
        if field in changes:
            changes[field] = clean_list(changes[field])
    strip(changes, "title", "summary", "impact", "broadcast_channel")
    errors: dict[str, str] = {}
    if "title" in changes and not changes["title"]:
        errors["title"] = _("Give the incident a title.")
    check_broadcast_channel(errors, changes.get("broadcast_channel"))
    check_moments(
        errors,
        impact_started_at=changes.get("impact_started_at", incident.impact_started_at),
        detected_at=changes.get("detected_at", incident.detected_at),
        now=timezone.now(),
    )
    current_services = list(incident.services.all())
    new_services = list(dict.fromkeys(changes.pop("services", current_services) or ()))
    added = [s for s in new_services if s not in current_services]
    inactive = [service.name for service in added if not service.is_active]
    if inactive:
        errors["services"] = _("No longer in service: %(names)s.") % {"names": ", ".join(inactive)}
    if errors:
        raise ValidationError(errors)
    changed = {f: v for f, v in changes.items() if getattr(incident, f) != v}
    services_changed = {s.pk for s in new_services} != {s.pk for s in current_services}
    if not changed and not services_changed:
        return incident
    before = {f: _plain(getattr(incident, f)) for f in changed}
    after = {f: _plain(v) for f, v in changed.items()}
    for field, value in changed.items():
        setattr(incident, field, value)
    incident.full_clean()
    incident.save(update_fields=list(changed))
    for role in ("commander", "responder"):
        if role in changed:
            _follow_role_change(incident, role, changed[role], actor)
    if services_changed:
        incident.services.set(new_services)
        before["services"] = sorted(s.slug for s in current_services)
        after["services"] = sorted(s.slug for s in new_services)
        changed["services"] = new_services
    # Each of EDITABLE_DETAILS is a field of the incident's own, never a reverse relation.
    labels = ", ".join(str(Incident._meta.get_field(f).verbose_name) for f in changed)  # type: ignore[union-attr]
    record_event(
        incident,
        TimelineKind.DETAILS_CHANGED,
        actor,
        _("Changed %(fields)s.") % {"fields": labels},
        before=before,
        after=after,
    )
    if added:
        link_playbooks(incident, added, actor)
    return incident


def _follow_role_change(incident: Incident, role: str, user: User | None, actor: User) -> None:
    """Keep the role history in step when the commander or responder field is edited."""
    if user is not None:
        access.grant_participant(incident, user)
    function = CriticalFunction.objects.filter(incident_field=role, is_active=True).first()
    if function is None:
        return
    if user is None:
        RoleAssignment.objects.filter(incident=incident, function=function, ended_at=None).update(
            ended_at=timezone.now()
        )
    else:
        staffing.assign(
            incident=incident,
            function=function,
            user=user,
            actor=actor,
            reason=_("changed in the incident's details"),
        )


def _plain(value: object) -> object:
    """A JSON-friendly rendering of a field value for the timeline's before/after."""
    if hasattr(value, "pk"):
        return str(value)
    return value
