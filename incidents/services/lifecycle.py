"""Every state change of an incident. Each function is atomic, locks the incident row, checks
the transition, saves, and writes its timeline event in the same transaction.

Refusals: `ValidationError` for bad input (400), `TransitionNotAllowed` when the incident's
state forbids the change (409), `PermissionDenied` when the actor may not make it (403).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.exceptions import TransitionNotAllowed
from incidents import access, staffing
from incidents.models import (
    AckVia,
    CancelReason,
    Incident,
    IncidentCriterion,
    IncidentStatus,
    RoleAssignment,
    StatusUpdate,
    TimelineEvent,
    TimelineKind,
)
from people.models import CriticalFunction

from . import announce
from .base import (
    check_broadcast_channel,
    check_moments,
    clean_list,
    lock_incident,
    measure_compliance,
    record_event,
    require_active,
    status_label,
    update_cadence,
)
from .playbooks import link_playbooks

WORKING_TRANSITIONS = {
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
EDITABLE_DETAILS = (
    "title",
    "summary",
    "impact",
    "priority",
    "services",
    "environments",
    "regions",
    "broadcast_channel",
    "impact_started_at",
    "detected_at",
    "commander",
    "responder",
)


def _leave_declared(incident, actor, now):
    """Anyone moving an incident on from `declared` has acknowledged it."""
    if incident.acknowledged_at is None:
        incident.acknowledged_at = now
        incident.acknowledged_by = actor


@transaction.atomic
def incident_acknowledge(*, incident, actor, via=AckVia.PORTAL) -> Incident:
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


def _apply_status(incident, actor, status, note):
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


def _valid_status(status):
    if status not in IncidentStatus.values:
        raise ValidationError({"status": _("“%(value)s” is not a status.") % {"value": status}})
    return IncidentStatus(status)


@transaction.atomic
def incident_change_status(*, incident, actor, status, note="") -> Incident:
    incident = lock_incident(incident)
    access.ensure_can_act(actor, incident)
    _apply_status(incident, actor, _valid_status(status), (note or "").strip())
    measure_compliance(incident)
    return incident


@transaction.atomic
def incident_post_update(*, incident, actor, message, status=None) -> StatusUpdate:
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
def incident_change_severity(*, incident, actor, severity, reason="") -> Incident:
    incident = lock_incident(incident)
    access.ensure_can_act(actor, incident)
    if incident.status in (IncidentStatus.CLOSED, IncidentStatus.CANCELLED):
        raise TransitionNotAllowed(
            _("Incident %(ref)s is %(status)s: its severity can no longer change.")
            % {"ref": incident.reference, "status": status_label(incident.status).lower()}
        )
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
def incident_update_details(*, incident, actor, **changes) -> Incident:
    """Edit the descriptive fields (not status or severity); each change is in the timeline."""
    unknown = set(changes) - set(EDITABLE_DETAILS)
    if unknown:
        raise ValidationError({field: _("This field cannot be edited here.") for field in unknown})
    incident = lock_incident(incident)
    access.ensure_can_act(actor, incident)
    if incident.status in (IncidentStatus.CLOSED, IncidentStatus.CANCELLED):
        raise TransitionNotAllowed(
            _("Incident %(ref)s is %(status)s: its details can no longer change.")
            % {"ref": incident.reference, "status": status_label(incident.status).lower()}
        )
    for field in ("environments", "regions"):
        if field in changes:
            changes[field] = clean_list(changes[field])
    for field in ("title", "summary", "impact", "broadcast_channel"):
        if field in changes:
            changes[field] = (changes[field] or "").strip()
    errors = {}
    if "title" in changes and not changes["title"]:
        errors["title"] = _("Give the incident a title.")
    check_broadcast_channel(errors, changes.get("broadcast_channel"))
    check_moments(
        errors,
        impact_started_at=changes.get("impact_started_at", incident.impact_started_at),
        detected_at=changes.get("detected_at", incident.detected_at),
        now=timezone.now(),
    )
    current_services = list(incident.services.all())
    new_services = list(dict.fromkeys(changes.pop("services", current_services) or ()))
    added = [s for s in new_services if s not in current_services]
    inactive = [service.name for service in added if not service.is_active]
    if inactive:
        errors["services"] = _("No longer in service: %(names)s.") % {"names": ", ".join(inactive)}
    if errors:
        raise ValidationError(errors)
    changed = {f: v for f, v in changes.items() if getattr(incident, f) != v}
    services_changed = {s.pk for s in new_services} != {s.pk for s in current_services}
    if not changed and not services_changed:
        return incident
    before = {f: _plain(getattr(incident, f)) for f in changed}
    after = {f: _plain(v) for f, v in changed.items()}
    for field, value in changed.items():
        setattr(incident, field, value)
    incident.full_clean()
    incident.save(update_fields=list(changed))
    for role in ("commander", "responder"):
        if role in changed:
            _follow_role_change(incident, role, changed[role], actor)
    if services_changed:
        incident.services.set(new_services)
        before["services"] = sorted(s.slug for s in current_services)
        after["services"] = sorted(s.slug for s in new_services)
        changed["services"] = new_services
    labels = ", ".join(str(Incident._meta.get_field(f).verbose_name) for f in changed)
    record_event(
        incident,
        TimelineKind.DETAILS_CHANGED,
        actor,
        _("Changed %(fields)s.") % {"fields": labels},
        before=before,
        after=after,
    )
    if added:
        link_playbooks(incident, added, actor)
    return incident


def _follow_role_change(incident, role, user, actor):
    """Keep the role history in step when the commander or responder field is edited."""
    if user is not None:
        access.grant_participant(incident, user)
    function = CriticalFunction.objects.filter(incident_field=role, is_active=True).first()
    if function is None:
        return
    if user is None:
        RoleAssignment.objects.filter(incident=incident, function=function, ended_at=None).update(
            ended_at=timezone.now()
        )
    else:
        staffing.assign(
            incident=incident,
            function=function,
            user=user,
            actor=actor,
            reason=_("changed in the incident's details"),
        )


def _plain(value):
    """A JSON-friendly rendering of a field value for the timeline's before/after."""
    if hasattr(value, "pk"):
        return str(value)
    return value


def _criterion(incident, criterion_id):
    try:
        return IncidentCriterion.objects.select_for_update().get(pk=criterion_id, incident=incident)
    except (IncidentCriterion.DoesNotExist, ValueError, TypeError):
        raise ValidationError(
            {
                "criterion": _("Incident %(ref)s has no such exit criterion.")
                % {"ref": incident.reference}
            }
        ) from None


def _require_unsettled(criterion):
    if criterion.is_met:
        raise TransitionNotAllowed(_("“%(text)s” is already met.") % {"text": criterion.text})
    if criterion.is_waived:
        raise TransitionNotAllowed(_("“%(text)s” is already waived.") % {"text": criterion.text})


@transaction.atomic
def incident_check_exit_criterion(*, incident, actor, criterion_id, note="") -> IncidentCriterion:
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
def incident_waive_exit_criterion(*, incident, actor, criterion_id, reason) -> IncidentCriterion:
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


def unmet_required_criteria(incident):
    return [c for c in incident.criteria.all() if c.required and not c.is_settled]


@transaction.atomic
def incident_resolve(*, incident, actor, resolution, archive_channel=False) -> Incident:
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
def incident_close(*, incident, actor) -> Incident:
    incident = lock_incident(incident)
    access.ensure_can_act(actor, incident)
    if incident.status != IncidentStatus.RESOLVED:
        raise TransitionNotAllowed(
            _("Only a resolved incident can be closed; %(ref)s is %(status)s.")
            % {"ref": incident.reference, "status": status_label(incident.status).lower()}
        )
    incident.status = IncidentStatus.CLOSED
    incident.closed_at = timezone.now()
    incident.save(update_fields=["status", "closed_at"])
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
def incident_cancel(*, incident, actor, reason, duplicate_of=None, note="") -> Incident:
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
    incident.status = IncidentStatus.CANCELLED
    incident.cancel_reason = reason
    incident.duplicate_of = duplicate_of
    incident.cancelled_at = timezone.now()
    incident.next_update_due = None
    incident.save(
        update_fields=["status", "cancel_reason", "duplicate_of", "cancelled_at", "next_update_due"]
    )
    message = CancelReason(reason).label
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


@transaction.atomic
def incident_add_note(*, incident, actor, text) -> TimelineEvent:
    incident = lock_incident(incident)
    access.ensure_can_act(actor, incident)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write the note.")})
    return record_event(incident, TimelineKind.NOTE, actor, text)
