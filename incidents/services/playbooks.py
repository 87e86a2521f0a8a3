"""The playbooks of an incident's affected services: linked at declaration (and when a service
is added later), their steps copied onto the incident as a checklist that responders tick off.

See lifecycle.py for the refusal conventions.
"""

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Service
from core.exceptions import TransitionNotAllowed
from incidents import access
from incidents.models import Incident, IncidentPlaybook, IncidentPlaybookStep, TimelineKind
from playbooks.models import PlaybookVersion, VersionStatus
from policy.models import IncidentType

from .base import lock_incident, record_event, require_active


def approved_version_for(
    service: Service, incident_type: IncidentType | None
) -> PlaybookVersion | None:
    """The service's approved version for this incident type, else its general playbook's."""
    versions = (
        PlaybookVersion.objects.filter(playbook__service=service, status=VersionStatus.APPROVED)
        .filter(Q(playbook__incident_type=incident_type) | Q(playbook__incident_type=None))
        .select_related("playbook")
        .prefetch_related("steps")
    )
    return min(versions, key=lambda v: v.playbook.incident_type_id is None, default=None)


def link_playbooks(incident: Incident, services: Iterable[Service], actor: User | None) -> None:
    """Link each service's approved playbook (once per service) and copy its steps; one
    timeline event per service, saying plainly when it has no approved playbook."""
    already = set(incident.playbook_links.values_list("service_id", flat=True))
    for service in sorted(services, key=lambda s: (s.tier, s.name)):
        if service.pk in already:
            continue
        version = approved_version_for(service, incident.incident_type)
        IncidentPlaybook.objects.create(incident=incident, service=service, version=version)
        if version is None:
            record_event(
                incident,
                TimelineKind.PLAYBOOK_MISSING,
                actor,
                _("%(service)s has no approved playbook.") % {"service": service.name},
                after={"service": service.slug, "version": None},
            )
            continue
        steps = IncidentPlaybookStep.objects.bulk_create(
            IncidentPlaybookStep(
                incident=incident,
                service=service,
                version=version,
                position=step.position,
                text=step.text,
                expected_outcome=step.expected_outcome,
                command=step.command,
                link=step.link,
            )
            for step in version.steps.all()
        )
        record_event(
            incident,
            TimelineKind.PLAYBOOK_LINKED,
            actor,
            _("Playbook %(playbook)s v%(number)s linked for %(service)s (%(count)s steps).")
            % {
                "playbook": version.playbook.title,
                "number": version.number,
                "service": service.name,
                "count": len(steps),
            },
            after={
                "service": service.slug,
                "playbook": version.playbook.title,
                "version": version.number,
                "steps": len(steps),
            },
        )


def _step(incident: Incident, step_id: int | str) -> IncidentPlaybookStep:
    try:
        return (
            IncidentPlaybookStep.objects.select_for_update(of=("self",))
            .select_related("service")
            .get(pk=step_id, incident=incident)
        )
    except (IncidentPlaybookStep.DoesNotExist, ValueError, TypeError):
        raise ValidationError(
            {"step": _("Incident %(ref)s has no such playbook step.") % {"ref": incident.reference}}
        ) from None


@transaction.atomic
def incident_complete_playbook_step(
    *, incident: Incident, actor: User, step_id: int | str, note: str | None = ""
) -> IncidentPlaybookStep:
    incident = lock_incident(incident)
    access.ensure_can_act(actor, incident)
    require_active(incident, _("have playbook steps completed"))
    step = _step(incident, step_id)
    if step.is_done:
        raise TransitionNotAllowed(_("“%(text)s” is already done.") % {"text": step.text})
    step.done_at = timezone.now()
    step.done_by = actor
    step.note = (note or "").strip()
    step.save(update_fields=["done_at", "done_by", "note"])
    message = _("Playbook step done (%(service)s): %(text)s") % {
        "service": step.service.name,
        "text": step.text,
    }
    if step.note:
        message = f"{message} {step.note}"
    record_event(
        incident,
        TimelineKind.PLAYBOOK_STEP_DONE,
        actor,
        message,
        after={
            "service": step.service.slug,
            "position": step.position,
            "step": step.text,
            "note": step.note,
        },
    )
    return step
