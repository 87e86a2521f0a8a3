"""Reads of the response policy: its versions, their sign-off progress, and the priority matrix.

The policy is organisation-wide: every signed-in user may read it. Who may change it is decided
by the services (policy/services/), using the helpers at the bottom of this module.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404

from people.models import Team, TeamMembership
from policy.models import (
    Impact,
    PolicyEvent,
    PolicyLevel,
    PolicySignOff,
    PolicyStatus,
    PolicyVersion,
    Priority,
    PriorityMatrixCell,
    SeverityLevel,
    Urgency,
)

MANAGE_PERMISSION = "policy.change_policyversion"
MATRIX_PERMISSION = "policy.change_prioritymatrixcell"
PENDING = (PolicyStatus.DRAFT, PolicyStatus.IN_REVIEW)

# Who asks: a person, or whoever `request.user` is (anonymous, or none outside a request).
AnyUser = User | AnonymousUser | None


def policy_effective() -> PolicyVersion | None:
    """The response policy version in force now, or None before the first is agreed."""
    return PolicyVersion.objects.filter(status=PolicyStatus.EFFECTIVE).first()


def policy_level(*, version: PolicyVersion | None, severity: SeverityLevel) -> PolicyLevel | None:
    """What `version` demands for `severity`; None without a policy or a level for it."""
    if version is None:
        return None
    return (
        PolicyLevel.objects.filter(version=version, severity=severity)
        .prefetch_related("paged_functions")
        .first()
    )


def _levels() -> QuerySet[PolicyLevel]:
    return PolicyLevel.objects.select_related("severity", "followup_priority").prefetch_related(
        "paged_functions"
    )


def _sign_offs() -> QuerySet[PolicySignOff]:
    return PolicySignOff.objects.select_related("team", "user")


def policy_versions() -> QuerySet[PolicyVersion]:
    """Every version, newest first, with its author and sign-offs (for lists)."""
    return (
        PolicyVersion.objects.select_related("author")
        .prefetch_related(Prefetch("sign_offs", queryset=_sign_offs()))
        .annotate(sign_off_count=Count("sign_offs", distinct=True))
        .order_by("-number")
    )


def policy_get(*, number: int | str) -> PolicyVersion:
    """One version with its levels, sign-offs and history; 404 when there is none. The API passes
    `number` as its URL gives it, in digits."""
    version = (
        PolicyVersion.objects.select_related("author")
        .prefetch_related(
            Prefetch("levels", queryset=_levels()),
            Prefetch("sign_offs", queryset=_sign_offs()),
            Prefetch("events", queryset=PolicyEvent.objects.select_related("actor")),
        )
        .filter(number=number)
        .first()
    )
    if version is None:
        raise Http404("No such policy version.")
    return version


def policy_effective_detail() -> PolicyVersion | None:
    """The version in force with its levels and sign-offs, or None."""
    number = (
        PolicyVersion.objects.filter(status=PolicyStatus.EFFECTIVE)
        .values_list("number", flat=True)
        .first()
    )
    return None if number is None else policy_get(number=number)


def policy_missing_severities(version: PolicyVersion) -> list[SeverityLevel]:
    """Severity levels the version has no level for, most serious first."""
    return list(SeverityLevel.objects.exclude(pk__in=version.levels.values("severity")))


def sign_off_teams() -> QuerySet[Team]:
    """The teams whose lead must approve every new version, with their leads."""
    leads = TeamMembership.objects.filter(is_lead=True).select_related("user")
    return Team.objects.filter(signs_off_policy=True).prefetch_related(
        Prefetch("memberships", queryset=leads, to_attr="lead_memberships")
    )


@dataclass
class SignOffProgress:
    required: list[Team] = field(default_factory=list)
    signed: list[PolicySignOff] = field(default_factory=list)
    missing: list[Team] = field(default_factory=list)

    @property
    def done(self) -> int:
        return len(self.signed)

    @property
    def total(self) -> int:
        return len(self.required)

    @property
    def complete(self) -> bool:
        return bool(self.required) and not self.missing

    def __str__(self) -> str:
        return f"{self.done} of {self.total}"


def policy_sign_off_progress(
    version: PolicyVersion, *, teams: Iterable[Team] | None = None
) -> SignOffProgress:
    """Which teams must sign `version`, which did (who, when) and which are missing.

    While a version is pending the required teams are today's sign-off teams; once decided,
    they are the teams that signed it. Pass `teams` (sign_off_teams()) to save queries in lists.
    """
    signed = list(version.sign_offs.all())
    if version.status not in PENDING:
        return SignOffProgress(required=[s.team for s in signed], signed=signed)
    required = list(sign_off_teams() if teams is None else teams)
    signed_ids = {s.team_id for s in signed}
    relevant = [s for s in signed if s.team_id in {t.pk for t in required}]
    return SignOffProgress(
        required=required,
        signed=relevant,
        missing=[team for team in required if team.pk not in signed_ids],
    )


def lead_teams(user: AnyUser) -> QuerySet[Team]:
    """The sign-off teams `user` leads."""
    if not (user and user.is_authenticated and user.is_active):
        return Team.objects.none()
    return Team.objects.filter(
        signs_off_policy=True, memberships__user=user, memberships__is_lead=True
    )


def is_lead(user: AnyUser, team: Team) -> bool:
    return bool(
        user
        and user.is_authenticated
        and user.is_active
        and TeamMembership.objects.filter(team=team, user=user, is_lead=True).exists()
    )


def can_manage_policy(user: AnyUser) -> bool:
    """Create and edit drafts, submit them: the model permission to change policy versions."""
    return bool(user and user.is_active and user.has_perm(MANAGE_PERMISSION))


def can_review_policy(user: AnyUser) -> bool:
    """Sign off or reject a version in review: a lead of a sign-off team."""
    return lead_teams(user).exists()


def can_edit_matrix(user: AnyUser) -> bool:
    return bool(user and user.is_active and user.has_perm(MATRIX_PERMISSION))


# --- Priority matrix ------------------------------------------------------------------------


def priority_matrix() -> dict[tuple[str, str], Priority]:
    """{(impact, urgency): priority} for the cells that are set."""
    cells = PriorityMatrixCell.objects.select_related("priority")
    return {(cell.impact, cell.urgency): cell.priority for cell in cells}


def priority_matrix_rows() -> list[tuple[Impact, list[tuple[Urgency, Priority | None]]]]:
    """The grid as rows of impact, each with (urgency, priority or None), high first."""
    cells = priority_matrix()
    return [
        (impact, [(urgency, cells.get((impact.value, urgency.value))) for urgency in Urgency])
        for impact in Impact
    ]


def priority_matrix_names() -> dict[str, dict[str, str]]:
    """{impact: {urgency: priority name}} for the declaration form's suggestion script."""
    grid: dict[str, dict[str, str]] = {impact.value: {} for impact in Impact}
    for (impact, urgency), priority in priority_matrix().items():
        grid[impact][urgency] = priority.name
    return grid


def priority_suggestion(*, impact_level: str, urgency: str) -> Priority | None:
    cell = (
        PriorityMatrixCell.objects.filter(impact=impact_level, urgency=urgency)
        .select_related("priority")
        .first()
    )
    return cell.priority if cell else None
