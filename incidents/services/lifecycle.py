"""An incident's status and severity: acknowledging it, the working states (and the status
updates that may move it between them), its severity, resolving, closing and cancelling. Each
function is atomic, locks the incident row, checks the transition, saves, and writes its timeline
event in the same transaction; so do those of exit_criteria.py and details.py.

Refusals, for every service of this package: `ValidationError` for bad input (400),
`TransitionNotAllowed` when the incident's state forbids the change (409), `PermissionDenied`
when the actor may not make it (403).
"""

from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.exceptions import TransitionNotAllowed
from core.models import save_fields
from incidents import access
from incidents.models import (
    AckVia,
    CancelReason,
    Incident,
    IncidentStatus,
    StatusUpdate,
    TimelineKind,
)
from policy.models import SeverityLevel

from . import announce
from .base import (
    lock_incident,
    measure_compliance,
    record_event,
    require_active,
    require_open,
    status_label,
    update_cadence,
)
from .exit_criteria import unmet_required_criteria

WORKING_TRANSITIONS: dict[str, set[IncidentStatus]] = {
    IncidentStatus.DECLARED: {
        IncidentStatus.INVESTIGATING,
        IncidentStatus.IDENTIFIED,
        IncidentStatus.MONITORING,
    },
    IncidentStatus.INVESTIGATING: {IncidentStatus.IDENTIFIED, IncidentStatus.MONITORING},
    IncidentStatus.IDENTIFIED: {IncidentStatus.INVESTIGATING, IncidentStatus.MONITORING},
    IncidentStatus.MONITORING: {IncidentStatus.INVESTIGATING, IncidentStatus.IDENTIFIED},
}
DEDICATED_ACTIONS = {
    IncidentStatus.RESOLVED: gettext_lazy("resolve"),
    IncidentStatus.CLOSED: gettext_lazy("close"),
    IncidentStatus.CANCELLED: gettext_lazy("cancel"),
}


def _leave_declared(incident: Incident, actor: User, now: datetime) -> None:
    """Anyone moving an incident on from `declared` has acknowledged it."""
    if incident.acknowledged_at is None:
        incident.acknowledged_at = now
        incident.acknowledged_by = actor


@transaction.atomic
def incident_acknowledge(*, incident: Incident, actor: User, via: str = AckVia.PORTAL) -> Incident:
    via = AckVia(via)
    incident = lock_incident(incident)
    access.ensure_can_acknowledge(actor, incident)
    require_active(incident, _("be acknowledged"))
    if incident.acknowledged_at:
        raise TransitionNotAllowed(
            _("Incident %(ref)s was already acknowledged.") % {"ref": incident.reference}
        )
    before = {"status": incident.status}
    _leave_declared(incident, actor, timezone.now())
    if incident.status == IncidentStatus.DECLARED:
        incident.status = IncidentStatus.INVESTIGATING
    incident.save(update_fields=["acknowledged_at", "acknowledged_by", "status"])
    record_event(
        incident,
        TimelineKind.ACKNOWLEDGED,
        actor,
        _("Acknowledged through %(via)s.") % {"via": via.label},
        before=before,
        after={"status": incident.status, "via": via.value},
    )
    measure_compliance(incident)
    return incident


def _apply_status(incident: Incident, actor: User, status: IncidentStatus, note: str) -> None:
    """Move between working states; the caller holds the lock."""
    if status in DEDICATED_ACTIONS:
        raise TransitionNotAllowed(
            _("Use %(action)s to set the status to %(status)s.")
            % {"action": DEDICATED_ACTIONS[status], "status": status_label(status).lower()}
        )
    require_active(incident, _("change status"))
    if status == incident.status:
        raise TransitionNotAllowed(
            _("Incident %(ref)s is already %(status)s.")
            % {"ref": incident.reference, "status": status_label(status).lower()}
        )
    if status not in WORKING_TRANSITIONS[incident.status]:
        raise TransitionNotAllowed(
            _("An incident cannot go from %(old)s back to %(new)s.")
            % {"old": status_label(incident.status).lower(), "new": status_label(status).lower()}
        )
    now = timezone.now()
    before = {"status": incident.status}
    _leave_declared(incident, actor, now)
    if status == IncidentStatus.MONITORING and incident.mitigated_at is None:
        incident.mitigated_at = now
    incident.status = status
    incident.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "mitigated_at"])
    message = _("Status changed from %(old)s to %(new)s.") % {
        "old": status_label(before["status"]),
        "new": status_label(status),
    }
    if note:
        message = f"{message} {note}"
    record_event(
        incident,
        TimelineKind.STATUS_CHANGED,
        actor,
        message,
        before=before,
        after={"status": status},
    )


def _valid_status(status: object) -> IncidentStatus:
    if status not in IncidentStatus.values:
        raise ValidationError({"status": _("“%(value)s” is not a status.") % {"value": status}})
    return IncidentStatus(status)


@transaction.atomic
def incident_change_status(
    *, incident: Incident, actor: User, status: object, note: str | None = ""
) -> Incident:
    incident = lock_incident(incident)
    access.ensure_can_act(actor, incident)
    _apply_status(incident, actor, _valid_status(status), (note or "").strip())
    measure_compliance(incident)
    return incident


@transaction.atomic
def incident_post_update(
    *, incident: Incident, actor: User, message: str | None, status: object = None
) -> StatusUpdate:
    incident = lock_incident(incident)
    access.ensure_can_act(actor, incident)
    message = (message or "").strip()
    if not message:
        raise ValidationError({"message": _("Write the status update.")})
    require_active(incident, _("receive status updates"))
    if status and status != incident.status:
        _apply_status(incident, actor, _valid_status(status), "")
    now = timezone.now()
    update = StatusUpdate.objects.create(
        incident=incident,
        message=message,
        status=incident.status,
        posted_by=actor,
        posted_at=now,
        next_update_due=now + update_cadence(incident),
    )
    incident.next_update_due = update.next_update_due
    incident.save(update_fields=["next_update_due"])
    record_event(
        incident,
        TimelineKind.UPDATE_POSTED,
        actor,
        message,
        after={"status": incident.status, "next_update_due": update.next_update_due},
    )
    announce.update_posted(incident, update)
    measure_compliance(incident)
    return update


@transaction.atomic
def incident_change_severity(
    *, incident: Incident, actor: User, severity: SeverityLevel, reason: str | None = ""
) -> Incident:
    incident = lock_incident(incident)
    access.ensure_can_act(actor, incident)
    require_open(incident, _("Incident %(ref)s is %(status)s: its severity can no longer change."))
    if severity.pk == incident.severity_id:
        raise TransitionNotAllowed(
            _("Incident %(ref)s is already %(severity)s.")
            % {"ref": incident.reference, "severity": severity.name}
        )
    before = {"severity": incident.severity.name}
    incident.severity = severity
    if incident.is_active:
        # A more serious level's shorter cadence can bring the next update forward.
        last = incident.updates.order_by("-posted_at").values_list("posted_at", flat=True).first()
        due = (last or incident.declared_at) + update_cadence(incident)
        incident.next_update_due = min(filter(None, [incident.next_update_due, due]))
    incident.ack_escalation_next = None  # the new level's chain: the escalations look again
    incident.save(update_fields=["severity", "next_update_due", "ack_escalation_next"])
    message = _("Severity changed from %(old)s to %(new)s.") % {
        "old": before["severity"],
        "new": severity.name,
    }
    if reason and reason.strip():
        message = f"{message} {reason.strip()}"
    record_event(
        incident,
        TimelineKind.SEVERITY_CHANGED,
        actor,
        message,
        before=before,
        after={"severity": severity.name},
    )
    announce.severity_changed(incident, before["severity"])
    measure_compliance(incident)
    return incident


@transaction.atomic
def incident_resolve(
    *, incident: Incident, actor: User, resolution: str | None, archive_channel: bool = False
) -> Incident:
    """Resolve; with `archive_channel`, the Slack channel is archived once the resolution
    announcement is out (an outbox delivery, written here)."""
    incident = lock_incident(incident)
    access.ensure_can_act(actor, incident)
    require_active(incident, _("be resolved"))
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationError({"resolution": _("Describe how the incident was resolved.")})
    if archive_channel and not incident.slack_channel_id:
        raise ValidationError(
            {
                "archive_channel": _("%(ref)s has no Slack channel to archive.")
                % {"ref": incident.reference}
            }
        )
    unmet = unmet_required_criteria(incident)
    if unmet:
        raise TransitionNotAllowed(
            _(
                "Cannot resolve %(ref)s: these required exit criteria are neither met nor waived: "
                "%(list)s."
            )
            % {"ref": incident.reference, "list": "; ".join(c.text for c in unmet)}
        )
    now = timezone.now()
    before = {"status": incident.status}
    _leave_declared(incident, actor, now)
    incident.mitigated_at = incident.mitigated_at or now
    incident.resolved_at = now
    incident.resolution = resolution
    incident.status = IncidentStatus.RESOLVED
    incident.next_update_due = None
    incident.save(
        update_fields=[
            "next_update_due",
            "status",
            "resolution",
            "resolved_at",
            "mitigated_at",
            "acknowledged_at",
            "acknowledged_by",
        ]
    )
    record_event(
        incident,
        TimelineKind.RESOLVED,
        actor,
        resolution,
        before=before,
        after={"status": incident.status, "archive_channel": bool(archive_channel)},
    )
    announce.resolved(incident)
    if archive_channel:
        announce.channel_archived(incident)
    measure_compliance(incident)
    return incident


@transaction.atomic
def incident_close(*, incident: Incident, actor: User) -> Incident:
    incident = lock_incident(incident)
    access.ensure_can_act(actor, incident)
    if incident.status != IncidentStatus.RESOLVED:
        raise TransitionNotAllowed(
            _("Only a resolved incident can be closed; %(ref)s is %(status)s.")
            % {"ref": incident.reference, "status": status_label(incident.status).lower()}
        )
    save_fields(incident, status=IncidentStatus.CLOSED, closed_at=timezone.now())
    record_event(
        incident,
        TimelineKind.CLOSED,
        actor,
        _("Closed."),
        before={"status": IncidentStatus.RESOLVED},
        after={"status": incident.status},
    )
    announce.closed(incident)
    return incident


@transaction.atomic
def incident_cancel(
    *,
    incident: Incident,
    actor: User,
    reason: str,
    duplicate_of: Incident | None = None,
    note: str | None = "",
) -> Incident:
    incident = lock_incident(incident)
    access.ensure_can_act(actor, incident)
    require_active(incident, _("be cancelled"))
    if reason not in CancelReason.values:
        raise ValidationError({"reason": _("Choose why the incident is cancelled.")})
    if reason == CancelReason.DUPLICATE:
        if duplicate_of is None:
            raise ValidationError({"duplicate_of": _("Name the incident this one duplicates.")})
        if duplicate_of.pk == incident.pk:
            raise ValidationError({"duplicate_of": _("An incident cannot duplicate itself.")})
        if duplicate_of.status == IncidentStatus.CANCELLED:
            raise ValidationError(
                {
                    "duplicate_of": _("%(ref)s is cancelled itself; name the incident that stands.")
                    % {"ref": duplicate_of.reference}
                }
            )
    elif duplicate_of is not None:
        raise ValidationError(
            {"duplicate_of": _("Only a duplicate names the incident it duplicates.")}
        )
    before = {"status": incident.status}
    save_fields(
        incident,
        status=IncidentStatus.CANCELLED,
        cancel_reason=reason,
        duplicate_of=duplicate_of,
        cancelled_at=timezone.now(),
        next_update_due=None,
    )
    message = str(CancelReason(reason).label)
    if duplicate_of is not None:
        message = _("Duplicate of %(ref)s.") % {"ref": duplicate_of.reference}
    if note and note.strip():
        message = f"{message} {note.strip()}"
    record_event(
        incident,
        TimelineKind.CANCELLED,
        actor,
        message,
        before=before,
        after={
            "status": incident.status,
            "reason": reason,
            "duplicate_of": duplicate_of.reference if duplicate_of else None,
        },
    )
    measure_compliance(incident)
    return incident
