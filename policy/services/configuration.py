"""The incident process's configuration: incident types with their exit criteria, severity
levels and priorities. Each change is one function, needs the model permission
(`policy.<add|change|delete>_<model>`), and records a `ConfigurationEvent` with the actor in its
transaction; a change that changes nothing records nothing."""

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, ProtectedError
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from people.services.common import Actor, require
from policy.models import (
    ConfigurationEvent,
    ConfigurationEventKind,
    ExitCriterion,
    IncidentType,
    Priority,
    SeverityLevel,
)
from policy.models.configuration_event import DESCRIPTION_LENGTH

INCIDENT_TYPE_FIELDS = ("name", "slug", "description", "private_by_default", "is_active")
CRITERION_FIELDS = ("position", "text", "required")
PRIORITY_FIELDS = ("name", "rank", "description")
SEVERITY_FIELDS = (*PRIORITY_FIELDS, "customer_impact")

Configured = TypeVar("Configured", IncidentType, SeverityLevel, Priority)
Snapshot = dict[str, Any]


def _snapshot(obj: Model, fields: Sequence[str]) -> Snapshot:
    values = {field: getattr(obj, field) for field in fields}
    if isinstance(obj, IncidentType):
        values["exit_criteria"] = [
            {field: getattr(criterion, field) for field in CRITERION_FIELDS}
            for criterion in obj.exit_criteria.order_by("position", "id")
        ]
    return values


def record_change(
    *,
    actor: User,
    kind: ConfigurationEventKind,
    about: Model,
    before: Snapshot,
    after: Snapshot,
    description: str = "",
) -> ConfigurationEvent | None:
    """The event of a change: each value that differs, before and after; none if none does.
    `description` names what changed, `str(about)` unless given."""
    changes = {
        field: {"before": before.get(field), "after": after.get(field)}
        for field in {**before, **after}
        if before.get(field) != after.get(field)
    }
    if not changes:
        return None
    return ConfigurationEvent.objects.create(
        actor=actor,
        kind=kind,
        about_type=ContentType.objects.get_for_model(about),
        about_id=about.pk,
        description=Truncator(description or str(about)).chars(DESCRIPTION_LENGTH),
        changes=changes,
    )


def _check_fields(fields: Iterable[str], allowed: Sequence[str]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"Not an editable field: {', '.join(sorted(unknown))}")


def _create(
    model: type[Configured], allowed: Sequence[str], actor: Actor, fields: dict[str, Any]
) -> tuple[Configured, User]:
    user = require(actor, "add", model)
    _check_fields(fields, allowed)
    obj = model(**fields)
    obj.full_clean()
    obj.save()
    return obj, user


def _update(
    obj: Configured, allowed: Sequence[str], actor: Actor, changes: dict[str, Any]
) -> tuple[Configured, User, Snapshot]:
    """The locked object with the changes set and saved, who, and what it was."""
    user = require(actor, "change", type(obj))
    _check_fields(changes, allowed)
    obj = type(obj).objects.select_for_update().get(pk=obj.pk)
    before = _snapshot(obj, allowed)
    for field, value in changes.items():
        setattr(obj, field, value)
    if changes:
        obj.full_clean()
        obj.save()
    return obj, user, before


def _delete(obj: Configured, allowed: Sequence[str], actor: Actor) -> None:
    user = require(actor, "delete", type(obj))
    obj = type(obj).objects.select_for_update().get(pk=obj.pk)
    before = _snapshot(obj, allowed)
    record_change(
        actor=user, kind=ConfigurationEventKind.DELETED, about=obj, before=before, after={}
    )
    try:
        obj.delete()
    except ProtectedError:
        raise ValidationError(
            _("%(obj)s is still in use, so it cannot be deleted.") % {"obj": obj}
        ) from None


def _set_criteria(incident_type: IncidentType, rows: Iterable[ExitCriterion]) -> None:
    """Make the type's exit criteria those given: a row with a pk changes that criterion, one
    without is added, a criterion not given is removed (an incident's checklist keeps its
    copy of the text)."""
    stored = {criterion.pk: criterion for criterion in incident_type.exit_criteria.all()}
    merged, dirty = [], []
    for row in rows:
        if not row.pk:
            criterion = ExitCriterion(incident_type=incident_type)
        elif row.pk in stored:
            criterion = stored[row.pk]
        else:
            raise ValidationError(
                _("“%(row)s” is not an exit criterion of %(type)s.")
                % {"row": row, "type": incident_type}
            )
        values = {field: getattr(row, field) for field in CRITERION_FIELDS}
        if criterion.pk is None or values != _snapshot(criterion, CRITERION_FIELDS):
            for field, value in values.items():
                setattr(criterion, field, value)
            criterion.full_clean()
            dirty.append(criterion)
        merged.append(criterion)
    kept = {criterion.pk for criterion in merged if criterion.pk is not None}
    for pk, criterion in stored.items():
        if pk not in kept:
            criterion.delete()
    for criterion in dirty:
        criterion.save()


@transaction.atomic
def incident_type_create(
    *, actor: Actor, criteria: Iterable[ExitCriterion] = (), **fields: Any
) -> IncidentType:
    """A new incident type (`fields`: any of INCIDENT_TYPE_FIELDS) with its exit criteria."""
    incident_type, user = _create(IncidentType, INCIDENT_TYPE_FIELDS, actor, fields)
    _set_criteria(incident_type, criteria)
    after = _snapshot(incident_type, INCIDENT_TYPE_FIELDS)
    record_change(
        actor=user,
        kind=ConfigurationEventKind.CREATED,
        about=incident_type,
        before={},
        after=after,
    )
    return incident_type


@transaction.atomic
def incident_type_update(
    *,
    actor: Actor,
    incident_type: IncidentType,
    criteria: Iterable[ExitCriterion] | None = None,
    **changes: Any,
) -> IncidentType:
    """Change a type's fields and, unless `criteria` is None, make its exit criteria those."""
    incident_type, user, before = _update(incident_type, INCIDENT_TYPE_FIELDS, actor, changes)
    if criteria is not None:
        _set_criteria(incident_type, criteria)
    after = _snapshot(incident_type, INCIDENT_TYPE_FIELDS)
    record_change(
        actor=user,
        kind=ConfigurationEventKind.UPDATED,
        about=incident_type,
        before=before,
        after=after,
    )
    return incident_type


@transaction.atomic
def incident_type_delete(*, actor: Actor, incident_type: IncidentType) -> None:
    """Delete a type no incident or response plan uses, with its exit criteria."""
    _delete(incident_type, INCIDENT_TYPE_FIELDS, actor)


def _level_create(
    model: type[Configured], allowed: Sequence[str], actor: Actor, fields: dict[str, Any]
) -> Configured:
    level, user = _create(model, allowed, actor, fields)
    after = _snapshot(level, allowed)
    record_change(
        actor=user, kind=ConfigurationEventKind.CREATED, about=level, before={}, after=after
    )
    return level


def _level_update(
    level: Configured, allowed: Sequence[str], actor: Actor, changes: dict[str, Any]
) -> Configured:
    level, user, before = _update(level, allowed, actor, changes)
    after = _snapshot(level, allowed)
    record_change(
        actor=user, kind=ConfigurationEventKind.UPDATED, about=level, before=before, after=after
    )
    return level


@transaction.atomic
def severity_level_create(*, actor: Actor, **fields: Any) -> SeverityLevel:
    """A new severity level; `fields`: any of SEVERITY_FIELDS."""
    return _level_create(SeverityLevel, SEVERITY_FIELDS, actor, fields)


@transaction.atomic
def severity_level_update(
    *, actor: Actor, severity: SeverityLevel, **changes: Any
) -> SeverityLevel:
    return _level_update(severity, SEVERITY_FIELDS, actor, changes)


@transaction.atomic
def severity_level_delete(*, actor: Actor, severity: SeverityLevel) -> None:
    """Delete a severity no incident, policy level or response plan uses."""
    _delete(severity, SEVERITY_FIELDS, actor)


@transaction.atomic
def priority_create(*, actor: Actor, **fields: Any) -> Priority:
    """A new priority; `fields`: any of PRIORITY_FIELDS."""
    return _level_create(Priority, PRIORITY_FIELDS, actor, fields)


@transaction.atomic
def priority_update(*, actor: Actor, priority: Priority, **changes: Any) -> Priority:
    return _level_update(priority, PRIORITY_FIELDS, actor, changes)


@transaction.atomic
def priority_delete(*, actor: Actor, priority: Priority) -> None:
    """Delete a priority no incident, policy level or matrix cell uses."""
    _delete(priority, PRIORITY_FIELDS, actor)
