"""Review: a draft is submitted, signed off by a lead of every sign-off team (the last sign-off
makes it effective and supersedes the version in force), or rejected back to draft."""

from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import TransitionNotAllowed
from core.models import save_fields
from core.names import display_name
from people.models import Team
from policy import announce, selectors
from policy.models import PolicyEventKind, PolicySignOff, PolicyStatus, PolicyVersion

from .base import ensure_can_manage, lock_version, record_event, require_draft, status_label


def _require_in_review(version: PolicyVersion, doing: str) -> None:
    if version.status != PolicyStatus.IN_REVIEW:
        raise TransitionNotAllowed(
            _("%(version)s is %(status)s: only a version in review can be %(doing)s.")
            % {"version": version, "status": status_label(version), "doing": doing}
        )


@transaction.atomic
def policy_submit(*, actor: User, version: PolicyVersion) -> PolicyVersion:
    """Ask the sign-off teams' leads to approve the draft."""
    ensure_can_manage(actor)
    version = lock_version(version)
    require_draft(version)
    missing = selectors.policy_missing_severities(version)
    if missing:
        raise ValidationError(
            {
                "levels": [
                    _("%(severity)s has no level yet.") % {"severity": severity.name}
                    for severity in missing
                ]
            }
        )
    teams = list(selectors.sign_off_teams())
    if not teams:
        raise TransitionNotAllowed(
            _(
                "No team signs off the response policy, so nobody could approve this version. "
                "Mark the teams whose leads must approve it first."
            )
        )
    # `lead_memberships` is prefetched by sign_off_teams() (a `to_attr`, unknown to the model).
    leaderless = [team.name for team in teams if not team.lead_memberships]  # type: ignore[attr-defined]
    if leaderless:
        raise TransitionNotAllowed(
            _("%(teams)s must sign off the policy but has no lead: name a lead first.")
            % {"teams": ", ".join(leaderless)}
        )
    in_review = PolicyVersion.objects.filter(status=PolicyStatus.IN_REVIEW).first()
    if in_review is not None:
        raise TransitionNotAllowed(
            _("%(other)s is already in review: it must be signed off or rejected first.")
            % {"other": in_review}
        )
    save_fields(version, status=PolicyStatus.IN_REVIEW, submitted_at=timezone.now())
    record_event(
        version,
        PolicyEventKind.SUBMITTED,
        actor,
        _("Submitted for sign-off by %(teams)s.")
        % {"teams": ", ".join(team.name for team in teams)},
        teams=[team.slug for team in teams],
    )
    announce.sign_off_requested(version, actor=actor, teams=teams)
    return version


def _make_effective(version: PolicyVersion, actor: User, now: datetime) -> None:
    previous = (
        PolicyVersion.objects.select_for_update().filter(status=PolicyStatus.EFFECTIVE).first()
    )
    if previous is not None:
        save_fields(previous, status=PolicyStatus.SUPERSEDED, superseded_at=now)
        record_event(
            previous,
            PolicyEventKind.SUPERSEDED,
            actor,
            _("Superseded by %(version)s.") % {"version": version},
            by=version.number,
        )
    save_fields(version, status=PolicyStatus.EFFECTIVE, effective_at=now)
    record_event(
        version,
        PolicyEventKind.EFFECTIVE,
        actor,
        _("Effective: every sign-off team approved it. New incidents follow it.")
        if previous is None
        else _("Effective: every sign-off team approved it. It replaces %(previous)s.")
        % {"previous": previous},
        replaces=previous.number if previous else None,
    )
    announce.became_effective(version, actor=actor, replaces=previous)


@transaction.atomic
def policy_sign_off(
    *, actor: User, version: PolicyVersion, team: Team, comment: str = ""
) -> PolicySignOff:
    """`actor` approves `version` for `team`, which they lead. The last required sign-off makes
    the version effective."""
    version = lock_version(version)
    _require_in_review(version, _("signed off"))
    if not team.signs_off_policy:
        raise ValidationError(
            {"team": _("%(team)s does not sign off the response policy.") % {"team": team.name}}
        )
    if not selectors.is_lead(actor, team):
        raise PermissionDenied(
            _("You are not a lead of %(team)s: only its leads sign off for it.")
            % {"team": team.name}
        )
    earlier = version.sign_offs.select_related("user").filter(team=team).first()
    if earlier is not None:
        raise TransitionNotAllowed(
            _("%(team)s already signed off %(version)s (%(who)s).")
            % {"team": team.name, "version": version, "who": display_name(earlier.user)}
        )
    now = timezone.now()
    progress = selectors.policy_sign_off_progress(version)
    completes = [t.pk for t in progress.missing] == [team.pk]
    signers = {s.user_id for s in progress.signed} | {actor.pk}
    if completes and signers == {version.author_id}:
        raise PermissionDenied(
            _("A policy version needs a sign-off from someone other than its author.")
        )
    sign_off = PolicySignOff(
        version=version, team=team, user=actor, comment=(comment or "").strip()
    )
    sign_off.full_clean()
    sign_off.save()
    record_event(
        version,
        PolicyEventKind.SIGNED_OFF,
        actor,
        _("%(who)s signed off for %(team)s.") % {"who": display_name(actor), "team": team.name},
        team=team.slug,
        comment=sign_off.comment,
    )
    if completes:
        _make_effective(version, actor, now)
    return sign_off


@transaction.atomic
def policy_reject(*, actor: User, version: PolicyVersion, reason: str) -> PolicyVersion:
    """Send a version in review back to draft; its sign-offs are cleared (the event keeps them)."""
    version = lock_version(version)
    _require_in_review(version, _("rejected"))
    if not selectors.can_review_policy(actor):
        raise PermissionDenied(
            _("Only a lead of a team that signs off the response policy may reject it.")
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why, so that the author knows what to change.")})
    cleared = [
        {"team": s.team.slug, "user": s.user.get_username(), "signed_at": s.signed_at}
        for s in version.sign_offs.select_related("team", "user")
    ]
    version.sign_offs.all().delete()
    save_fields(version, status=PolicyStatus.DRAFT, submitted_at=None)
    record_event(
        version,
        PolicyEventKind.REJECTED,
        actor,
        _("Rejected by %(who)s: %(reason)s") % {"who": display_name(actor), "reason": reason},
        reason=reason,
        cleared_sign_offs=cleared,
    )
    return version
