"""The audit row each people service writes in its transaction (people.models.PeopleEvent)."""

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from people.models import PeopleEvent, PeopleEventKind
from people.models.event import DESCRIPTION_LENGTH
from people.services.common import Changes, apply_changes

M = TypeVar("M", bound=Model)


def record(
    *,
    actor: User,
    kind: PeopleEventKind,
    about: Model,
    description: str,
    message: str = "",
    **data: Any,
) -> PeopleEvent:
    """Record that `actor` did `kind` to `about` (a saved object: call before deleting it)."""
    return PeopleEvent.objects.create(
        actor=actor,
        kind=kind,
        about_type=ContentType.objects.get_for_model(about),
        about_id=about.pk,
        description=Truncator(description).chars(DESCRIPTION_LENGTH),
        message=message,
        data=data,
    )


def record_update(
    *, actor: User, kind: PeopleEventKind, about: Model, description: str, changed: Changes
) -> PeopleEvent:
    """Record an update: the fields it changed (apply_changes's answer), by name, and each
    one's value before and after."""
    return record(
        actor=actor,
        kind=kind,
        about=about,
        description=description,
        message=_changed_message(about, changed),
        changes=_changed_data(changed),
    )


def update_and_record(
    instance: M,
    changes: dict[str, Any],
    *,
    check: Callable[[M], None],
    actor: User,
    kind: PeopleEventKind,
) -> None:
    """Apply `changes` to the locked `instance`; if any field changed, `check` it, save those
    fields and record the update, described by the instance's name (its `str`)."""
    changed = apply_changes(instance, changes)
    if changed:
        check(instance)
        instance.save(update_fields=list(changed))
        record_update(
            actor=actor, kind=kind, about=instance, description=str(instance), changed=changed
        )


def _changed_message(instance: Model, changes: Changes) -> str:
    names = {field.name: field.verbose_name for field in instance._meta.concrete_fields}
    return _("Changed: %(fields)s.") % {"fields": ", ".join(str(names[f]) for f in changes)}


def _changed_data(changes: Changes) -> dict[str, dict[str, Any]]:
    return {field: {"from": old, "to": new} for field, (old, new) in changes.items()}
