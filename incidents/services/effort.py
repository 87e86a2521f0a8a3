"""Time people spent on an incident: logging it and taking it back. Each change is atomic, locks
the incident row and writes its timeline event in the same transaction (see lifecycle.py)."""

import zoneinfo
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.names import display_name
from incidents import access
from incidents.models import EffortEntry, TimelineKind
from people.models import UserPreference

from .base import lock_incident, record_event

MIN_HOURS = Decimal("0.25")
MAX_HOURS = Decimal("24")
QUARTER = Decimal("0.25")
NOTE_MAX_LENGTH = EffortEntry._meta.get_field("note").max_length
CHANGE_ANY = "incidents.change_effortentry"


def _zone_of(user):
    """The user's own time zone (their preference), else the active one: what "today" means."""
    name = UserPreference.objects.filter(user=user).values_list("time_zone", flat=True).first()
    return zoneinfo.ZoneInfo(str(name)) if name else timezone.get_current_timezone()


def _hours(value, errors):
    try:
        hours = Decimal(str(value).strip())
    except (InvalidOperation, TypeError, ValueError):
        errors["hours"] = _("Give the hours as a number, e.g. 1.5.")
        return None
    if not hours.is_finite() or not (MIN_HOURS <= hours <= MAX_HOURS):
        errors["hours"] = _("Log between 0.25 and 24 hours.")
    elif hours % QUARTER:
        errors["hours"] = _("Log time in quarter hours (0.25, 0.5, 0.75 …).")
    return hours


def _format_hours(hours):
    return f"{hours.normalize():f}"


@transaction.atomic
def effort_log(*, actor, incident, hours, worked_on, function=None, note="") -> EffortEntry:
    """`actor` logs `hours` spent on `incident` on the day `worked_on` (in their time zone),
    optionally in a critical function, whose cost weight then applies."""
    incident = lock_incident(incident)
    access.ensure_can_act(actor, incident)
    errors = {}
    hours = _hours(hours, errors)
    zone = _zone_of(actor)
    if not isinstance(worked_on, date) or isinstance(worked_on, datetime):
        errors["worked_on"] = _("Give the day worked.")
    elif worked_on > timezone.localdate(timezone.now(), zone):
        errors["worked_on"] = _("This day is in the future.")
    elif worked_on < timezone.localdate(incident.declared_at, zone):
        errors["worked_on"] = _("%(ref)s was declared on %(day)s: log time from that day on.") % {
            "ref": incident.reference,
            "day": timezone.localdate(incident.declared_at, zone).isoformat(),
        }
    if function is not None and not function.is_active:
        errors["function"] = _("%(function)s is not in use.") % {"function": function.name}
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        errors["note"] = _("Keep the note under %(max)d characters.") % {"max": NOTE_MAX_LENGTH}
    if "hours" not in errors and "worked_on" not in errors:
        already = EffortEntry.objects.filter(user=actor, worked_on=worked_on).aggregate(
            total=Sum("hours")
        )["total"] or Decimal(0)
        if already + hours > MAX_HOURS:
            errors["hours"] = _(
                "You already logged %(already)s hours on %(day)s; a day has 24."
            ) % {"already": _format_hours(already), "day": worked_on.isoformat()}
    if errors:
        raise ValidationError(errors)

    entry = EffortEntry(
        incident=incident,
        user=actor,
        function=function,
        hours=hours,
        worked_on=worked_on,
        note=note,
    )
    entry.full_clean()
    entry.save()
    as_function = (
        _(" as %(function)s") % {"function": function.name} if function is not None else ""
    )
    message = _("%(user)s logged %(hours)s h on %(day)s%(as)s.") % {
        "user": display_name(actor),
        "hours": _format_hours(hours),
        "day": worked_on.isoformat(),
        "as": as_function,
    }
    record_event(
        incident,
        TimelineKind.EFFORT_LOGGED,
        actor,
        f"{message} {note}".strip(),
        after={
            "entry": entry.pk,
            "user": actor.get_username(),
            "hours": hours,
            "worked_on": worked_on,
            "function": function.slug if function else None,
        },
    )
    return entry


def may_remove_any(user, incident):
    """People with the change permission on effort entries may remove anyone's."""
    return access.can_view(user, incident) and user.has_perm(CHANGE_ANY)


def can_remove(user, entry, incident=None):
    """Whoever logged an entry may take it back while they may act on the incident."""
    incident = incident or entry.incident
    if may_remove_any(user, incident):
        return True
    return entry.user_id == user.pk and access.can_act(user, incident)


@transaction.atomic
def effort_remove(*, actor, entry) -> None:
    """Take an effort entry back; the timeline keeps what was logged and who removed it."""
    incident = lock_incident(entry.incident)
    entry = (
        EffortEntry.objects.select_for_update(of=("self",)).select_related("user").get(pk=entry.pk)
    )
    if not can_remove(actor, entry, incident):
        raise PermissionDenied(
            _("You may only remove the time you logged yourself on %(ref)s.")
            % {"ref": incident.reference}
        )
    before = {
        "entry": entry.pk,
        "user": entry.user.get_username(),
        "hours": entry.hours,
        "worked_on": entry.worked_on,
    }
    message = _("%(actor)s removed %(hours)s h that %(user)s logged on %(day)s.") % {
        "actor": display_name(actor),
        "hours": _format_hours(entry.hours),
        "user": display_name(entry.user),
        "day": entry.worked_on.isoformat(),
    }
    entry.delete()
    # No kind of its own: the effort log's own correction, with the removed entry in `before`.
    record_event(
        incident,
        TimelineKind.EFFORT_LOGGED,
        actor,
        message,
        before=before,
        after={"removed": True},
    )
