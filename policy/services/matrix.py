"""The priority matrix: the priority declaration suggests for each impact × urgency, each change
recorded as a ConfigurationEvent."""

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from policy import selectors
from policy.models import (
    ConfigurationEventKind,
    Impact,
    Priority,
    PriorityMatrixCell,
    Urgency,
)
from policy.services.configuration import record_change


@transaction.atomic
def priority_matrix_set(
    *, actor: User, impact: str, urgency: str, priority: Priority | None
) -> PriorityMatrixCell:
    """Set the priority the matrix suggests for `impact` × `urgency`, recorded as a
    ConfigurationEvent with the priority before and after; setting what the cell already
    suggests changes and records nothing."""
    if not selectors.can_edit_matrix(actor):
        raise PermissionDenied(_("You are not allowed to change the priority matrix."))
    errors: dict[str, str] = {}
    if impact not in Impact.values:
        errors["impact"] = _("Choose high, medium or low.")
    if urgency not in Urgency.values:
        errors["urgency"] = _("Choose high, medium or low.")
    if not isinstance(priority, Priority):
        errors["priority"] = _("Choose a priority.")
    if errors or not isinstance(priority, Priority):  # the second only narrows the type
        raise ValidationError(errors)
    cell = (
        PriorityMatrixCell.objects.select_for_update()
        .filter(impact=impact, urgency=urgency)
        .first()
    ) or PriorityMatrixCell(impact=impact, urgency=urgency)
    if cell.pk and cell.priority_id == priority.pk:
        return cell
    before = {"priority": cell.priority.name} if cell.pk else {}
    kind = ConfigurationEventKind.UPDATED if cell.pk else ConfigurationEventKind.CREATED
    cell.priority = priority
    cell.full_clean()
    cell.save()
    record_change(
        actor=actor,
        kind=kind,
        about=cell,
        before=before,
        after={"priority": priority.name},
        description=_("Priority matrix: %(impact)s impact × %(urgency)s urgency")
        % {"impact": cell.get_impact_display(), "urgency": cell.get_urgency_display()},
    )
    return cell
