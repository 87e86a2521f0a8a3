"""Critical functions: the roles that must always be staffed."""

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from core.changes import refuse_unknown, strip
from people.models import CriticalFunction, IncidentRoleField, PeopleEventKind
from people.services.audit import record, update_and_record
from people.services.common import Actor, refuse_or_clean, require

FUNCTION_FIELDS = (
    "name",
    "slug",
    "duties",
    "position",
    "is_active",
    "incident_field",
    "cost_weight",
)


def _check_function(function: CriticalFunction) -> None:
    errors = {}
    if not function.name:
        errors["name"] = _("Give the function a name.")
    if not function.slug:
        errors["slug"] = _("Give the function a slug: lowercase letters, digits and hyphens.")
    if function.incident_field and function.incident_field not in IncidentRoleField.values:
        errors["incident_field"] = _("Choose the commander, the responder or nothing.")
    elif function.incident_field:
        taken = (
            CriticalFunction.objects.filter(incident_field=function.incident_field)
            .exclude(pk=function.pk)
            .first()
        )
        if taken:
            errors["incident_field"] = _(
                "%(other)s already fills the incident's %(field)s: only one function may."
            ) % {"other": taken.name, "field": function.incident_field}
    refuse_or_clean(function, errors)


@transaction.atomic
def critical_function_create(
    *,
    actor: Actor,
    name: str,
    slug: str = "",
    duties: str = "",
    position: int = 0,
    is_active: bool = True,
    incident_field: str = "",
    cost_weight: Decimal | None = None,
) -> CriticalFunction:
    actor = require(actor, "add", CriticalFunction)
    name = (name or "").strip()
    function = CriticalFunction(
        name=name,
        slug=(slug or "").strip() or slugify(name),
        duties=(duties or "").strip(),
        position=position,
        is_active=is_active,
        incident_field=incident_field or "",
    )
    if cost_weight is not None:
        function.cost_weight = cost_weight
    _check_function(function)
    function.save()
    record(
        actor=actor,
        kind=PeopleEventKind.FUNCTION_CREATED,
        about=function,
        description=function.name,
    )
    return function


@transaction.atomic
def critical_function_update(
    *, actor: Actor, function: CriticalFunction, **changes: Any
) -> CriticalFunction:
    refuse_unknown(changes, FUNCTION_FIELDS)
    actor = require(actor, "change", CriticalFunction)
    function = CriticalFunction.objects.select_for_update(of=("self",)).get(pk=function.pk)
    strip(changes, "name", "slug", "duties")
    if "incident_field" in changes:
        changes["incident_field"] = changes["incident_field"] or ""
    update_and_record(
        function,
        changes,
        check=_check_function,
        actor=actor,
        kind=PeopleEventKind.FUNCTION_UPDATED,
    )
    return function
