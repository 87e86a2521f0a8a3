"""What the policy services share: locking a version, its history row, who may change it, when."""

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from core.exceptions import TransitionNotAllowed
from policy import selectors
from policy.models import PolicyEvent, PolicyStatus, PolicyVersion


def record_event(
    version: PolicyVersion, kind: str, actor: User, message: str, **data: object
) -> PolicyEvent:
    return PolicyEvent.objects.create(
        version=version, kind=kind, actor=actor, message=message, data=data
    )


def lock_version(version: PolicyVersion) -> PolicyVersion:
    return PolicyVersion.objects.select_for_update().get(pk=version.pk)


def ensure_can_manage(actor: User) -> None:
    if not selectors.can_manage_policy(actor):
        raise PermissionDenied(_("You are not allowed to change the response policy."))


def status_label(version: PolicyVersion) -> str:
    return PolicyStatus(version.status).label.lower()


def require_draft(version: PolicyVersion) -> None:
    if version.status != PolicyStatus.DRAFT:
        hint = (
            _("Start a new draft from it instead.")
            if version.status in (PolicyStatus.EFFECTIVE, PolicyStatus.SUPERSEDED)
            else _("Reject it to edit it again.")
        )
        raise TransitionNotAllowed(
            _("%(version)s is %(status)s: only a draft can be changed. %(hint)s")
            % {"version": version, "status": status_label(version), "hint": hint}
        )
