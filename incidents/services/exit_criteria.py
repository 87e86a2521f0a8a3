"""An incident's exit criteria: each checked off as met, or waived with a reason. An incident
resolves only once every required one is settled (see lifecycle.py for the refusal conventions).
"""

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import TransitionNotAllowed
from incidents import access
from incidents.models import Incident, IncidentCriterion, TimelineKind

from .base import lock_incident, record_event, require_active


def _criterion(incident: Incident, criterion_id: int | str) -> IncidentCriterion:
    try:
        return IncidentCriterion.objects.select_for_update().get(pk=criterion_id, incident=incident)
    except (IncidentCriterion.DoesNotExist, ValueError, TypeError):
        raise ValidationError(
            {
                "criterion": _("Incident %(ref)s has no such exit criterion.")
                % {"ref": incident.reference}
            }
        ) from None


def _require_unsettled(criterion: IncidentCriterion) -> None:
    if criterion.is_met:
        raise TransitionNotAllowed(_("“%(text)s” is already met.") % {"text": criterion.text})
    if criterion.is_waived:
        raise TransitionNotAllowed(_("“%(text)s” is already waived.") % {"text": criterion.text})


@transaction.atomic
def incident_check_exit_criterion(
    *, incident: Incident, actor: User, criterion_id: int | str, note: str | None = ""
) -> IncidentCriterion:
    incident = lock_incident(incident)
    access.ensure_can_act(actor, incident)
    require_active(incident, _("have exit criteria checked"))
    criterion = _criterion(incident, criterion_id)
    _require_unsettled(criterion)
    criterion.met_at = timezone.now()
    criterion.met_by = actor
    criterion.note = (note or "").strip()
    criterion.save(update_fields=["met_at", "met_by", "note"])
    record_event(
        incident,
        TimelineKind.CRITERION_MET,
        actor,
        _("Exit criterion met: %(text)s") % {"text": criterion.text},
        after={"criterion": criterion.text, "note": criterion.note},
    )
    return criterion


@transaction.atomic
def incident_waive_exit_criterion(
    *, incident: Incident, actor: User, criterion_id: int | str, reason: str | None
) -> IncidentCriterion:
    incident = lock_incident(incident)
    if not access.can_waive(actor, incident):
        raise PermissionDenied(_("You are not allowed to waive exit criteria."))
    require_active(incident, _("have exit criteria waived"))
    criterion = _criterion(incident, criterion_id)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why this criterion is waived.")})
    _require_unsettled(criterion)
    criterion.waived_at = timezone.now()
    criterion.waived_by = actor
    criterion.waive_reason = reason
    criterion.save(update_fields=["waived_at", "waived_by", "waive_reason"])
    record_event(
        incident,
        TimelineKind.CRITERION_WAIVED,
        actor,
        _("Exit criterion waived: %(text)s. Reason: %(reason)s")
        % {"text": criterion.text, "reason": reason},
        after={"criterion": criterion.text, "reason": reason},
    )
    return criterion


def unmet_required_criteria(incident: Incident) -> list[IncidentCriterion]:
    return [c for c in incident.criteria.all() if c.required and not c.is_settled]
