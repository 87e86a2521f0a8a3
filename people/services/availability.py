"""Unavailability windows: when a person cannot be called on."""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.names import display_name
from people import announce
from people.models import PeopleEventKind, Unavailability, UnavailabilityReason
from people.services.audit import changed_data, changed_message, record
from people.services.common import apply_changes, refuse_unknown, require, strip

WINDOW_FIELDS = ("starts_at", "ends_at", "reason", "note")


def _require_own_or(actor, user, action):
    """A person may always manage their own windows; others need the model permission."""
    if actor is not None and actor.is_active and actor.pk == user.pk:
        return
    try:
        require(actor, action, Unavailability)
    except PermissionDenied:
        raise PermissionDenied(
            _("You may only manage your own unavailability, not %(user)s's.")
            % {"user": display_name(user)}
        ) from None


def _described(window):
    return _("%(user)s, %(reason)s, %(starts)s – %(ends)s") % {
        "user": display_name(window.user),
        "reason": window.get_reason_display(),
        "starts": date_format(timezone.localtime(window.starts_at), "DATETIME_FORMAT"),
        "ends": date_format(timezone.localtime(window.ends_at), "DATETIME_FORMAT"),
    }


def _details(window):
    return {
        "user": window.user.get_username(),
        "starts_at": window.starts_at,
        "ends_at": window.ends_at,
        "reason": window.reason,
    }


def _aware(value):
    if isinstance(value, datetime) and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def _check_window(window, *, check_times=True):
    errors = {}
    if window.reason not in UnavailabilityReason.values:
        errors["reason"] = _("Choose one of: %(reasons)s.") % {
            "reasons": ", ".join(str(label).lower() for label in UnavailabilityReason.labels)
        }
    if check_times:
        if window.starts_at is None:
            errors["starts_at"] = _("Say when the window starts.")
        if window.ends_at is None:
            errors["ends_at"] = _("Say when the window ends.")
        elif window.starts_at is not None and window.ends_at <= window.starts_at:
            errors["ends_at"] = _("The window must end after it starts.")
        elif window.ends_at <= timezone.now():
            errors["ends_at"] = _(
                "This window ended %(when)s, in the past: only current or future windows count."
            ) % {"when": date_format(timezone.localtime(window.ends_at), "DATETIME_FORMAT")}
    if errors:
        raise ValidationError(errors)
    window.full_clean()


@transaction.atomic
def unavailability_add(*, actor, user, starts_at, ends_at, reason, note="") -> Unavailability:
    """A window in which `user` cannot be called on: their next backup stands in."""
    if user is None:
        raise ValidationError({"user": _("Choose a person.")})
    _require_own_or(actor, user, "add")
    window = Unavailability(
        user=user,
        starts_at=_aware(starts_at),
        ends_at=_aware(ends_at),
        reason=reason or "",
        note=(note or "").strip(),
    )
    _check_window(window)
    covered = announce.covered()
    window.save()
    record(
        actor=actor,
        kind=PeopleEventKind.UNAVAILABILITY_ADDED,
        about=window,
        description=_described(window),
        message=window.note,
        **_details(window),
    )
    announce.backups_lost(covered, announce.away(window))
    return window


@transaction.atomic
def unavailability_update(*, actor, window, **changes) -> Unavailability:
    refuse_unknown(changes, WINDOW_FIELDS)
    window = (
        Unavailability.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(pk=window.pk)
    )
    _require_own_or(actor, window.user, "change")
    strip(changes, "note")
    for field in ("starts_at", "ends_at"):
        if field in changes:
            changes[field] = _aware(changes[field])
    changed = apply_changes(window, changes)
    if changed:
        _check_window(window, check_times="starts_at" in changed or "ends_at" in changed)
        covered = announce.covered()
        window.save(update_fields=list(changed))
        record(
            actor=actor,
            kind=PeopleEventKind.UNAVAILABILITY_UPDATED,
            about=window,
            description=_described(window),
            message=changed_message(window, changed),
            changes=changed_data(changed),
        )
        announce.backups_lost(covered, announce.away(window))
    return window


@transaction.atomic
def unavailability_remove(*, actor, window) -> None:
    window = (
        Unavailability.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(pk=window.pk)
    )
    _require_own_or(actor, window.user, "delete")
    record(
        actor=actor,
        kind=PeopleEventKind.UNAVAILABILITY_REMOVED,
        about=window,
        description=_described(window),
        message=_("Removed."),
        **_details(window),
    )
    window.delete()
