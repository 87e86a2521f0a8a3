"""The response policy's life: draft → in review → effective → superseded, and the priority matrix.

A version is edited only while it is a draft; the effective version is never edited in place (a
change starts a new draft, copied from what is in force). A version in review becomes effective
when a lead of every sign-off team (`Team.signs_off_policy`) has approved it, in the same
transaction as the last sign-off, and the version it replaces becomes superseded. A version
approved by its own author alone is refused. Every change writes a `PolicyEvent` in its
transaction; a submission asks the leads for their sign-off and a version in force tells its author
(announce.py).

Who: drafts are created, edited and submitted by users with the model permission
`policy.change_policyversion`; versions in review are signed off or rejected by team leads.
Refusals: `ValidationError` for bad input (400), `TransitionNotAllowed` when the version's state
forbids the change (409), `PermissionDenied` when the actor may not make it (403).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.exceptions import TransitionNotAllowed
from core.names import display_name
from policy import announce, chains, selectors
from policy.models import (
    Audience,
    Impact,
    PolicyEvent,
    PolicyEventKind,
    PolicyLevel,
    PolicySignOff,
    PolicyStatus,
    PolicyVersion,
    Priority,
    PriorityMatrixCell,
    StaffingModel,
    Urgency,
)

# Whole-number fields of a level and their bounds (inclusive; None: no upper bound).
LEVEL_NUMBERS = {
    "ack_target_minutes": (1, None),
    "update_cadence_minutes": (1, None),
    "page_wait_limit_minutes": (1, None),
    "max_continuous_hours": (1, 24),
    "expected_people": (1, None),
    "postmortem_due_days": (1, None),
    "followup_due_days": (1, None),
    "ack_repeat_minutes": (1, chains.MAX_MINUTES),
    "ack_rounds": (1, 20),
    "update_repeat_minutes": (1, chains.MAX_MINUTES),
}
# Numbers that may be left blank (the model says what blank means).
LEVEL_OPTIONAL_NUMBERS = {"page_wait_limit_minutes"}
CHAIN_FIELDS = ("ack_chain", "update_chain")
LEVEL_FLAGS = ("postmortem_required", "inform_leadership")
# Every field `policy_level_set` takes, in the order the admin and the API show them (after the
# level's severity).
LEVEL_FIELDS = (
    "ack_target_minutes",
    "update_cadence_minutes",
    "page_wait_limit_minutes",
    "paged_functions",
    "audiences",
    "staffing_model",
    "max_continuous_hours",
    "expected_people",
    "postmortem_required",
    "postmortem_due_days",
    "followup_priority",
    "followup_due_days",
    "inform_leadership",
    "ack_chain",
    "ack_repeat_minutes",
    "ack_rounds",
    "update_chain",
    "update_repeat_minutes",
)
NUMBER_MESSAGES = {
    "ack_target_minutes": gettext_lazy("The acknowledgement target must be at least 1 minute."),
    "update_cadence_minutes": gettext_lazy(
        "The status update cadence must be at least 1 minute: with %(value)s, every update "
        "would be overdue the moment it is posted."
    ),
    "page_wait_limit_minutes": gettext_lazy(
        "A page waits at least 1 minute for a provider, or leave it blank for the "
        "acknowledgement target."
    ),
    "max_continuous_hours": gettext_lazy(
        "A responder works between 1 and 24 hours in a row before handing over."
    ),
    "expected_people": gettext_lazy("At least 1 person is expected on an incident."),
    "postmortem_due_days": gettext_lazy("The postmortem is due at least 1 day after the incident."),
    "followup_due_days": gettext_lazy("Follow-ups are due at least 1 day after the postmortem."),
    "ack_repeat_minutes": gettext_lazy(
        "The acknowledgement escalation waits between 1 minute and a week (10080 minutes) "
        "after its last stage."
    ),
    "ack_rounds": gettext_lazy(
        "The acknowledgement escalation runs between 1 and 20 rounds (%(value)s given)."
    ),
    "update_repeat_minutes": gettext_lazy(
        "The status-update escalation waits between 1 minute and a week (10080 minutes) after "
        "its last stage."
    ),
}


def record_event(version, kind, actor, message, **data):
    return PolicyEvent.objects.create(
        version=version, kind=kind, actor=actor, message=message, data=data
    )


def lock_incident(version):
    return PolicyVersion.objects.select_for_update().get(pk=version.pk)


def _ensure_can_manage(actor):
    if not selectors.can_manage_policy(actor):
        raise PermissionDenied(_("You are not allowed to change the response policy."))


def status_label(version):
    return PolicyStatus(version.status).label.lower()


def _require_draft(version):
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


def _require_in_review(version, doing):
    if version.status != PolicyStatus.IN_REVIEW:
        raise TransitionNotAllowed(
            _("%(version)s is %(status)s: only a version in review can be %(doing)s.")
            % {"version": version, "status": status_label(version), "doing": doing}
        )


# --- Drafts ---------------------------------------------------------------------------------


def _next_number():
    # Lock the newest version so that two drafts started at once queue for the next number.
    list(PolicyVersion.objects.select_for_update().order_by("-number")[:1])
    return (PolicyVersion.objects.aggregate(last=Max("number"))["last"] or 0) + 1


def _copy_levels(source, target):
    for level in source.levels.prefetch_related("paged_functions"):
        functions = list(level.paged_functions.all())
        level._prefetched_objects_cache = {}  # else `set()` below believes they are there
        level.pk = None
        level._state.adding = True
        level.version = target
        level.save()
        level.paged_functions.set(functions)


@transaction.atomic
def policy_draft_create(*, actor, summary="", copy_from=None) -> PolicyVersion:
    """A new draft with the next number, starting from `copy_from` (default: the version in
    force), so that editing starts from what applies today."""
    _ensure_can_manage(actor)
    source = copy_from or selectors.policy_effective()
    version = PolicyVersion(number=_next_number(), summary=(summary or "").strip(), author=actor)
    version.full_clean()
    version.save()
    if source is not None:
        _copy_levels(source, version)
    record_event(
        version,
        PolicyEventKind.CREATED,
        actor,
        _("Draft created from %(source)s.") % {"source": source}
        if source
        else _("Draft created from scratch."),
        copied_from=source.number if source else None,
    )
    return version


@transaction.atomic
def policy_draft_update(*, actor, version, summary) -> PolicyVersion:
    """Say what the draft changes."""
    _ensure_can_manage(actor)
    version = lock_incident(version)
    _require_draft(version)
    summary = (summary or "").strip()
    if summary == version.summary:
        return version
    before = version.summary
    version.summary = summary
    version.save(update_fields=["summary"])
    record_event(
        version,
        PolicyEventKind.EDITED,
        actor,
        _("Summary changed."),
        before={"summary": before},
        after={"summary": summary},
    )
    return version


def _clean_number(errors, name, value):
    low, high = LEVEL_NUMBERS[name]
    if name in LEVEL_OPTIONAL_NUMBERS and value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value).strip())
        except ValueError:
            errors[name] = _("Give a whole number.")
            return None
    if value < low or (high is not None and value > high):
        errors[name] = NUMBER_MESSAGES[name] % {"value": value}
    return value


def _clean_audiences(errors, audiences):
    values = [str(a).strip() for a in audiences or ()]
    unknown = [a for a in values if a not in Audience.values]
    if unknown:
        errors["audiences"] = _("Unknown audience: %(unknown)s. Choose from %(known)s.") % {
            "unknown": ", ".join(f"“{a}”" for a in unknown),
            "known": ", ".join(Audience.values),
        }
    return [a for a in Audience.values if a in values]  # in the usual order, once each


def _clean_level_fields(fields):
    unknown = set(fields) - set(LEVEL_FIELDS)
    if unknown:
        raise TypeError(f"policy_level_set() got unexpected fields: {', '.join(sorted(unknown))}")
    errors, cleaned = {}, {}
    for name, value in fields.items():
        if name in LEVEL_NUMBERS:
            cleaned[name] = _clean_number(errors, name, value)
        elif name in LEVEL_FLAGS:
            cleaned[name] = bool(value)
        elif name == "audiences":
            cleaned[name] = _clean_audiences(errors, value)
        elif name == "staffing_model":
            if value not in StaffingModel.values:
                errors[name] = _("Choose 24/7 or business hours.")
            cleaned[name] = value
        elif name == "followup_priority":
            if value is not None and not isinstance(value, Priority):
                errors[name] = _("Choose a priority.")
            cleaned[name] = value
        elif name in CHAIN_FIELDS:
            cleaned[name], messages = chains.clean_stages(value or [])
            if messages:
                errors[name] = messages
        elif name == "paged_functions":
            functions = list(value or ())
            retired = [f.name for f in functions if not f.is_active]
            if retired:
                errors[name] = _("%(names)s is no longer an active function.") % {
                    "names": ", ".join(retired)
                }
            cleaned[name] = functions
    return errors, cleaned


def _level_state(level, functions):
    state = {name: getattr(level, name) for name in LEVEL_NUMBERS}
    state.update({name: getattr(level, name) for name in LEVEL_FLAGS})
    state["audiences"] = list(level.audiences)
    state["staffing_model"] = level.staffing_model
    state["followup_priority"] = level.followup_priority.name if level.followup_priority else None
    state["paged_functions"] = sorted(f.slug for f in functions)
    state.update({name: list(getattr(level, name)) for name in CHAIN_FIELDS})
    return state


@transaction.atomic
def policy_level_set(*, actor, version, severity, **fields) -> PolicyLevel:
    """Create or change what a draft demands for `severity`. Fields left out keep their value
    (a new level takes the model's defaults; it needs `ack_target_minutes`)."""
    _ensure_can_manage(actor)
    version = lock_incident(version)
    _require_draft(version)
    errors, cleaned = _clean_level_fields(fields)
    level = (
        PolicyLevel.objects.select_for_update().filter(version=version, severity=severity).first()
    )
    created = level is None
    if created:
        level = PolicyLevel(version=version, severity=severity)
        if cleaned.get("ack_target_minutes") is None and "ack_target_minutes" not in errors:
            errors["ack_target_minutes"] = _(
                "Say how fast a %(severity)s incident must be acknowledged, in minutes."
            ) % {"severity": severity.name}
    if errors:
        raise ValidationError(errors)
    functions = cleaned.pop("paged_functions", None)
    before = {} if created else _level_state(level, level.paged_functions.all())
    for name, value in cleaned.items():
        setattr(level, name, value)
    level.full_clean()
    level.save()
    if functions is not None:
        level.paged_functions.set(functions)
    after = _level_state(level, level.paged_functions.all())
    changed = sorted(name for name in after if before.get(name, object()) != after[name])
    if changed:
        record_event(
            version,
            PolicyEventKind.LEVEL_SET,
            actor,
            _("%(severity)s level %(done)s: %(fields)s.")
            % {
                "severity": severity.name,
                "done": _("added") if created else _("changed"),
                "fields": ", ".join(
                    str(PolicyLevel._meta.get_field(n).verbose_name) for n in changed
                ),
            },
            severity=severity.name,
            before={name: before[name] for name in changed if name in before},
            after={name: after[name] for name in changed},
        )
    return level


# --- Review ---------------------------------------------------------------------------------


@transaction.atomic
def policy_submit(*, actor, version) -> PolicyVersion:
    """Ask the sign-off teams' leads to approve the draft."""
    _ensure_can_manage(actor)
    version = lock_incident(version)
    _require_draft(version)
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
    leaderless = [team.name for team in teams if not team.lead_memberships]
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
    version.status = PolicyStatus.IN_REVIEW
    version.submitted_at = timezone.now()
    version.save(update_fields=["status", "submitted_at"])
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


def _make_effective(version, actor, now):
    previous = (
        PolicyVersion.objects.select_for_update().filter(status=PolicyStatus.EFFECTIVE).first()
    )
    if previous is not None:
        previous.status = PolicyStatus.SUPERSEDED
        previous.superseded_at = now
        previous.save(update_fields=["status", "superseded_at"])
        record_event(
            previous,
            PolicyEventKind.SUPERSEDED,
            actor,
            _("Superseded by %(version)s.") % {"version": version},
            by=version.number,
        )
    version.status = PolicyStatus.EFFECTIVE
    version.effective_at = now
    version.save(update_fields=["status", "effective_at"])
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
def policy_sign_off(*, actor, version, team, comment="") -> PolicySignOff:
    """`actor` approves `version` for `team`, which they lead. The last required sign-off makes
    the version effective."""
    version = lock_incident(version)
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
def policy_reject(*, actor, version, reason) -> PolicyVersion:
    """Send a version in review back to draft; its sign-offs are cleared (the event keeps them)."""
    version = lock_incident(version)
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
    version.status = PolicyStatus.DRAFT
    version.submitted_at = None
    version.save(update_fields=["status", "submitted_at"])
    record_event(
        version,
        PolicyEventKind.REJECTED,
        actor,
        _("Rejected by %(who)s: %(reason)s") % {"who": display_name(actor), "reason": reason},
        reason=reason,
        cleared_sign_offs=cleared,
    )
    return version


# --- Priority matrix ------------------------------------------------------------------------


@transaction.atomic
def priority_matrix_set(*, actor, impact, urgency, priority) -> PriorityMatrixCell:
    """Set the priority the matrix suggests for `impact` × `urgency`."""
    if not selectors.can_edit_matrix(actor):
        raise PermissionDenied(_("You are not allowed to change the priority matrix."))
    errors = {}
    if impact not in Impact.values:
        errors["impact"] = _("Choose high, medium or low.")
    if urgency not in Urgency.values:
        errors["urgency"] = _("Choose high, medium or low.")
    if not isinstance(priority, Priority):
        errors["priority"] = _("Choose a priority.")
    if errors:
        raise ValidationError(errors)
    cell = (
        PriorityMatrixCell.objects.select_for_update()
        .filter(impact=impact, urgency=urgency)
        .first()
    ) or PriorityMatrixCell(impact=impact, urgency=urgency)
    cell.priority = priority
    cell.full_clean()
    cell.save()
    return cell
