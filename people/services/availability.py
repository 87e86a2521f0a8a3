"""Unavailability windows: when a person cannot be called on."""

from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.changes import refuse_unknown, strip
from core.names import display_name
from people import announce
from people.models import PeopleEventKind, Unavailability, UnavailabilityReason
from people.services.audit import record, record_update
from people.services.common import (
    Actor,
    apply_changes,
    refuse_or_clean,
    require_own_or,
)

WINDOW_FIELDS = ("starts_at", "ends_at", "reason", "note")


def _require_own_or(actor: Actor, user: User, action: str) -> User:
    refusal = _("You may only manage your own unavailability, not %(user)s's.") % {
        "user": display_name(user)
    }
    return require_own_or(actor, user, action, Unavailability, refusal)


def _described(window: Unavailability) -> str:
    return _("%(user)s, %(reason)s, %(starts)s – %(ends)s") % {
        "user": display_name(window.user),
        "reason": window.get_reason_display(),
        "starts": date_format(timezone.localtime(window.starts_at), "DATETIME_FORMAT"),
        "ends": date_format(timezone.localtime(window.ends_at), "DATETIME_FORMAT"),
    }


def _details(window: Unavailability) -> dict[str, Any]:
    return {
        "user": window.user.get_username(),
        "starts_at": window.starts_at,
        "ends_at": window.ends_at,
        "reason": window.reason,
    }


def _aware(value: datetime | None) -> datetime | None:
    if isinstance(value, datetime) and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def _window_errors(
    reason: str, starts_at: datetime | None, ends_at: datetime | None, *, check_times: bool
) -> dict[str, str]:
    errors = {}
    if reason not in UnavailabilityReason.values:
        errors["reason"] = _("Choose one of: %(reasons)s.") % {
            "reasons": ", ".join(str(label).lower() for label in UnavailabilityReason.labels)
        }
    if check_times:
        if starts_at is None:
            errors["starts_at"] = _("Say when the window starts.")
        if ends_at is None:
            errors["ends_at"] = _("Say when the window ends.")
        elif starts_at is not None and ends_at <= starts_at:
            errors["ends_at"] = _("The window must end after it starts.")
        elif ends_at <= timezone.now():
            errors["ends_at"] = _(
                "This window ended %(when)s, in the past: only current or future windows count."
            ) % {"when": date_format(timezone.localtime(ends_at), "DATETIME_FORMAT")}
    return errors


@transaction.atomic
def unavailability_add(
    *,
    actor: Actor,
    user: User | None,
    starts_at: datetime | None,
    ends_at: datetime | None,
    reason: str,
    note: str = "",
) -> Unavailability:
    """A window in which `user` cannot be called on: their next backup stands in."""
    if user is None:
        raise ValidationError({"user": _("Choose a person.")})
    actor = _require_own_or(actor, user, "add")
    reason, starts_at, ends_at = reason or "", _aware(starts_at), _aware(ends_at)
    errors = _window_errors(reason, starts_at, ends_at, check_times=True)
    if errors or starts_at is None or ends_at is None:  # a missing time is one of the errors
        raise ValidationError(errors)
    window = Unavailability(
        user=user,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason,
        note=(note or "").strip(),
    )
    window.full_clean()
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
def unavailability_update(
    *, actor: Actor, window: Unavailability, **changes: Any
) -> Unavailability:
    refuse_unknown(changes, WINDOW_FIELDS)
    window = (
        Unavailability.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(pk=window.pk)
    )
    actor = _require_own_or(actor, window.user, "change")
    strip(changes, "note")
    for field in ("starts_at", "ends_at"):
        if field in changes:
            changes[field] = _aware(changes[field])
    changed = apply_changes(window, changes)
    if changed:
        errors = _window_errors(
            window.reason,
            window.starts_at,
            window.ends_at,
            check_times="starts_at" in changed or "ends_at" in changed,
        )
        refuse_or_clean(window, errors)
        covered = announce.covered()
        window.save(update_fields=list(changed))
        record_update(
            actor=actor,
            kind=PeopleEventKind.UNAVAILABILITY_UPDATED,
            about=window,
            description=_described(window),
            changed=changed,
        )
        announce.backups_lost(covered, announce.away(window))
    return window


@transaction.atomic
def unavailability_remove(*, actor: Actor, window: Unavailability) -> None:
    window = (
        Unavailability.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(pk=window.pk)
    )
    actor = _require_own_or(actor, window.user, "delete")
    record(
        actor=actor,
        kind=PeopleEventKind.UNAVAILABILITY_REMOVED,
        about=window,
        description=_described(window),
        message=_("Removed."),
        **_details(window),
    )
    window.delete()
