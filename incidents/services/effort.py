"""Time people spent on an incident: logging it and taking it back. Each change is atomic, locks
the incident row and writes its timeline event in the same transaction (see lifecycle.py)."""

import zoneinfo
from datetime import date, datetime, tzinfo
from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.names import display_name
from incidents import access
from incidents.access import AnyUser
from incidents.models import EffortEntry, Incident, TimelineKind
from people.models import CriticalFunction, UserPreference

from .base import lock_incident, record_event

MIN_HOURS = Decimal("0.25")
MAX_HOURS = Decimal("24")
QUARTER = Decimal("0.25")
# Django types a TextField's max_length optional; the note sets one.
NOTE_MAX_LENGTH: int = EffortEntry._meta.get_field("note").max_length  # type: ignore[assignment]
CHANGE_ANY = "incidents.change_effortentry"


def _zone_of(user: User) -> tzinfo:
    """The user's own time zone (their preference), else the active one: what "today" means."""
    name = UserPreference.objects.filter(user=user).values_list("time_zone", flat=True).first()
    return zoneinfo.ZoneInfo(str(name)) if name else timezone.get_current_timezone()


def _hours(value: object, errors: dict[str, str]) -> Decimal | None:
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


def _format_hours(hours: Decimal) -> str:
    return f"{hours.normalize():f}"


@transaction.atomic
def effort_log(
    *,
    actor: User,
    incident: Incident,
    hours: object,
    worked_on: object,
    function: CriticalFunction | None = None,
    note: str | None = "",
) -> EffortEntry:
    """`actor` logs `hours` spent on `incident` on the day `worked_on` (in their time zone),
    optionally in a critical function, whose cost weight then applies."""
    incident = lock_incident(incident)
    access.ensure_can_act(actor, incident)
    errors: dict[str, str] = {}
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
        assert hours is not None and isinstance(worked_on, date)  # checked: no error for them
        already = EffortEntry.objects.filter(user=actor, worked_on=worked_on).aggregate(
            total=Sum("hours")
        )["total"] or Decimal(0)
        if already + hours > MAX_HOURS:
            errors["hours"] = _(
                "You already logged %(already)s hours on %(day)s; a day has 24."
            ) % {"already": _format_hours(already), "day": worked_on.isoformat()}
    if errors:
        raise ValidationError(errors)
    assert hours is not None and isinstance(worked_on, date)  # checked: no error for them

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


def may_remove_any(user: AnyUser, incident: Incident) -> bool:
    """People with the change permission on effort entries may remove anyone's."""
    return access.can_view(user, incident) and user.has_perm(CHANGE_ANY)


def can_remove(
    user: User | AnonymousUser, entry: EffortEntry, incident: Incident | None = None
) -> bool:
    """Whoever logged an entry may take it back while they may act on the incident."""
    incident = incident or entry.incident
    if may_remove_any(user, incident):
        return True
    return entry.user_id == user.pk and access.can_act(user, incident)


@transaction.atomic
def effort_remove(*, actor: User, entry: EffortEntry) -> None:
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
