"""A playbook version's life: draft → in review → approved → superseded, or in review →
rejected → draft; and verification of approved versions.

Each function is keyword-only with an `actor`, atomic, locks the version, checks the rule,
saves and writes a `PlaybookEvent` in the same transaction (a submission and a decision also
write their notifications: announce.py). Refusals: `ValidationError` (bad input, 400),
`TransitionNotAllowed` (the version's state forbids it, 409), `PermissionDenied` (the actor
may not, 403). Approvers hold `catalog.approve_playbook` on the service (or
model-wide); the author never approves their own version.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Service
from core.exceptions import TransitionNotAllowed
from core.models import save_fields
from core.names import display_name
from playbooks.models import (
    Playbook,
    PlaybookApproval,
    PlaybookEvent,
    PlaybookEventKind,
    PlaybookStep,
    PlaybookVersion,
    Verification,
    VerificationMethod,
    VerificationOutcome,
    VersionStatus,
)
from policy.models import IncidentType

from . import announce

STEP_FIELDS = ("text", "expected_outcome", "command", "link")

# A step as a front door gives it: its STEP_FIELDS by name.
StepInput = Mapping[str, object]


def approvals_required(service: Service) -> int:
    return settings.BEACON_PLAYBOOK_APPROVALS_BY_TIER.get(service.tier, 1)


def can_edit(user: User | AnonymousUser | None, playbook: Playbook) -> bool:
    return bool(user and user.is_active and user.has_perm("playbooks.change_playbook"))


def can_approve(user: User | AnonymousUser | None, service: Service) -> bool:
    return bool(
        user
        and user.is_active
        and (
            user.has_perm("catalog.approve_playbook")
            or user.has_perm("catalog.approve_playbook", service)
        )
    )


def _event(
    version: PlaybookVersion, kind: PlaybookEventKind, actor: User, message: str = ""
) -> None:
    PlaybookEvent.objects.create(version=version, kind=kind, actor=actor, message=message)


def _locked(version: PlaybookVersion) -> PlaybookVersion:
    return (
        PlaybookVersion.objects.select_for_update(of=("self",))
        .select_related("playbook__service")
        .get(pk=version.pk)
    )


def _status(version: PlaybookVersion) -> str:
    return VersionStatus(version.status).label.lower()


def _require_status(version: PlaybookVersion, status: VersionStatus, doing: str) -> None:
    if version.status != status:
        raise TransitionNotAllowed(
            _("%(version)s is %(status)s: it cannot be %(doing)s.")
            % {"version": version, "status": _status(version), "doing": doing}
        )


def _require_editor(actor: User, playbook: Playbook) -> None:
    if not can_edit(actor, playbook):
        raise PermissionDenied(_("You are not allowed to edit playbooks."))


def _clean_steps(steps: Iterable[StepInput] | None) -> list[PlaybookStep]:
    """Steps as dicts in order; each needs its text, and a link must be a URL."""
    cleaned, errors = [], []
    for position, step in enumerate(steps or (), start=1):
        values = {field: str(step.get(field) or "").strip() for field in STEP_FIELDS}
        row = PlaybookStep(position=position, **values)
        try:
            row.clean_fields(exclude=["version"])
        except ValidationError as error:
            errors.append(
                _("Step %(n)s: %(problems)s")
                % {"n": position, "problems": " ".join(error.messages)}
            )
        cleaned.append(row)
    if errors:
        raise ValidationError({"steps": errors})
    return cleaned


def _write_content(
    version: PlaybookVersion, content: str | None, steps: list[PlaybookStep]
) -> None:
    version.content = (content or "").strip()
    version.save(update_fields=["content"])
    version.steps.all().delete()
    for step in steps:
        step.version = version
    PlaybookStep.objects.bulk_create(steps)


@transaction.atomic
def playbook_version_create(
    *,
    actor: User,
    playbook: Playbook,
    content: str | None = None,
    steps: Iterable[StepInput] | None = None,
) -> PlaybookVersion:
    """A new draft; without content it starts from the approved version (or the latest)."""
    _require_editor(actor, playbook)
    base = (
        playbook.versions.filter(status=VersionStatus.APPROVED).first()
        or playbook.versions.order_by("-number").first()
    )
    if content is None:
        content = base.content if base else ""
    if steps is None:
        steps = [
            {field: getattr(step, field) for field in STEP_FIELDS}
            for step in (base.steps.all() if base else [])
        ]
    cleaned = _clean_steps(steps)
    number = (playbook.versions.aggregate(last=Max("number"))["last"] or 0) + 1
    version = PlaybookVersion.objects.create(playbook=playbook, number=number, author=actor)
    _write_content(version, content, cleaned)
    _event(version, PlaybookEventKind.CREATED, actor)
    return version


@transaction.atomic
def playbook_create(
    *,
    actor: User,
    service: Service,
    title: str,
    incident_type: IncidentType | None = None,
    content: str = "",
    steps: Iterable[StepInput] = (),
) -> PlaybookVersion:
    """A new playbook for `service` (its general one, or one per incident type) with its first
    draft; returns that draft."""
    playbook = Playbook(service=service, title=(title or "").strip(), incident_type=incident_type)
    _require_editor(actor, playbook)
    playbook.full_clean()
    playbook.save()
    return playbook_version_create(actor=actor, playbook=playbook, content=content, steps=steps)


@transaction.atomic
def playbook_version_edit(
    *,
    actor: User,
    version: PlaybookVersion,
    content: str | None,
    steps: Iterable[StepInput] | None,
) -> PlaybookVersion:
    version = _locked(version)
    _require_editor(actor, version.playbook)
    if version.status != VersionStatus.DRAFT:
        raise TransitionNotAllowed(
            _("%(version)s is %(status)s and can no longer change: start a new draft.")
            % {"version": version, "status": _status(version)}
        )
    _write_content(version, content, _clean_steps(steps))
    _event(version, PlaybookEventKind.EDITED, actor)
    return version


@transaction.atomic
def playbook_version_submit(*, actor: User, version: PlaybookVersion) -> PlaybookVersion:
    version = _locked(version)
    _require_editor(actor, version.playbook)
    _require_status(version, VersionStatus.DRAFT, _("submitted for review"))
    if not version.content and not version.steps.exists():
        raise ValidationError({"content": _("Write the playbook before submitting it.")})
    save_fields(version, status=VersionStatus.IN_REVIEW, submitted_at=timezone.now())
    _event(version, PlaybookEventKind.SUBMITTED, actor)
    announce.submitted(
        version, actor=actor, approvals_required=approvals_required(version.playbook.service)
    )
    return version


def _require_reviewer(actor: User, version: PlaybookVersion) -> None:
    service = version.playbook.service
    if not can_approve(actor, service):
        raise PermissionDenied(
            _("You may not review playbooks of %(service)s.") % {"service": service}
        )
    if version.author_id == actor.pk:
        raise PermissionDenied(_("Nobody reviews their own playbook version."))


@transaction.atomic
def playbook_version_approve(
    *, actor: User, version: PlaybookVersion, comment: str = ""
) -> PlaybookVersion:
    """Record one approval; the last one required makes the version the approved one."""
    version = _locked(version)
    _require_status(version, VersionStatus.IN_REVIEW, _("approved"))
    _require_reviewer(actor, version)
    if version.approvals.filter(approver=actor).exists():
        raise TransitionNotAllowed(
            _("You already approved %(version)s; it needs another person's approval.")
            % {"version": version}
        )
    PlaybookApproval.objects.create(version=version, approver=actor, comment=comment.strip())
    _event(version, PlaybookEventKind.APPROVED, actor, comment.strip())
    service = version.playbook.service
    if version.approvals.count() >= approvals_required(service):
        now = timezone.now()
        for previous in PlaybookVersion.objects.select_for_update().filter(
            playbook=version.playbook, status=VersionStatus.APPROVED
        ):
            save_fields(previous, status=VersionStatus.SUPERSEDED, superseded_at=now)
            _event(previous, PlaybookEventKind.SUPERSEDED, actor, str(version))
        save_fields(version, status=VersionStatus.APPROVED, decided_at=now)
        approvers = ", ".join(display_name(a.approver) for a in version.approvals.all())
        _event(version, PlaybookEventKind.PUBLISHED, actor, approvers)
        announce.approved(version, approved_by=approvers, comment=comment.strip())
    return version


@transaction.atomic
def playbook_version_reject(
    *, actor: User, version: PlaybookVersion, reason: str | None
) -> PlaybookVersion:
    version = _locked(version)
    _require_status(version, VersionStatus.IN_REVIEW, _("rejected"))
    _require_reviewer(actor, version)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say what has to change.")})
    save_fields(
        version,
        status=VersionStatus.REJECTED,
        decided_at=timezone.now(),
        rejection_reason=reason,
    )
    _event(version, PlaybookEventKind.REJECTED, actor, reason)
    announce.rejected(version, actor=actor, reason=reason)
    return version


@transaction.atomic
def playbook_version_reopen(*, actor: User, version: PlaybookVersion) -> PlaybookVersion:
    """A rejected version goes back to draft for its fixes; its approvals are cleared."""
    version = _locked(version)
    _require_editor(actor, version.playbook)
    _require_status(version, VersionStatus.REJECTED, _("reopened"))
    version.approvals.all().delete()
    save_fields(version, status=VersionStatus.DRAFT, submitted_at=None, decided_at=None)
    _event(version, PlaybookEventKind.REOPENED, actor, version.rejection_reason)
    return version


@transaction.atomic
def playbook_version_verify(
    *,
    actor: User,
    version: PlaybookVersion,
    method: str,
    outcome: str,
    evidence: str,
    verified_at: datetime | None = None,
) -> Verification:
    version = _locked(version)
    _require_editor(actor, version.playbook)
    _require_status(version, VersionStatus.APPROVED, _("verified"))
    now = timezone.now()
    verified_at = verified_at or now
    errors = {}
    if method not in VerificationMethod.values:
        errors["method"] = _("Choose how the playbook was exercised.")
    if outcome not in VerificationOutcome.values:
        errors["outcome"] = _("Say whether it worked.")
    if not (evidence or "").strip():
        errors["evidence"] = _("Record what was run and what it showed.")
    if verified_at > now:
        errors["verified_at"] = _("A verification cannot be in the future.")
    elif version.decided_at and verified_at < version.decided_at:
        errors["verified_at"] = _("This is before the version was approved.")
    if errors:
        raise ValidationError(errors)
    verification = Verification.objects.create(
        version=version,
        verified_by=actor,
        verified_at=verified_at,
        method=method,
        outcome=outcome,
        evidence=evidence.strip(),
    )
    _event(
        version,
        PlaybookEventKind.VERIFIED,
        actor,
        f"{VerificationMethod(method).label}: {VerificationOutcome(outcome).label}",
    )
    return verification
