"""Reads of the response policy: its versions, their sign-off progress, and the priority matrix.

The policy is organisation-wide: every signed-in user may read it. Who may change it is decided
by the services (policy/services/), using the helpers at the bottom of this module.
"""

from dataclasses import dataclass, field

from django.db.models import Count, Prefetch
from django.http import Http404

from people.models import Team, TeamMembership
from policy.models import (
    Impact,
    PolicyEvent,
    PolicyLevel,
    PolicySignOff,
    PolicyStatus,
    PolicyVersion,
    PriorityMatrixCell,
    SeverityLevel,
    Urgency,
)

MANAGE_PERMISSION = "policy.change_policyversion"
MATRIX_PERMISSION = "policy.change_prioritymatrixcell"
PENDING = (PolicyStatus.DRAFT, PolicyStatus.IN_REVIEW)


def policy_effective():
    """The response policy version in force now, or None before the first is agreed."""
    return PolicyVersion.objects.filter(status=PolicyStatus.EFFECTIVE).first()


def policy_level(*, version, severity):
    """What `version` demands for `severity`; None without a policy or a level for it."""
    if version is None:
        return None
    return (
        PolicyLevel.objects.filter(version=version, severity=severity)
        .prefetch_related("paged_functions")
        .first()
    )


def _levels():
    return PolicyLevel.objects.select_related("severity", "followup_priority").prefetch_related(
        "paged_functions"
    )


def _sign_offs():
    return PolicySignOff.objects.select_related("team", "user")


def policy_versions():
    """Every version, newest first, with its author and sign-offs (for lists)."""
    return (
        PolicyVersion.objects.select_related("author")
        .prefetch_related(Prefetch("sign_offs", queryset=_sign_offs()))
        .annotate(sign_off_count=Count("sign_offs", distinct=True))
        .order_by("-number")
    )


def policy_get(*, number):
    """One version with its levels, sign-offs and history; 404 when there is none."""
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


def policy_effective_detail():
    """The version in force with its levels and sign-offs, or None."""
    number = (
        PolicyVersion.objects.filter(status=PolicyStatus.EFFECTIVE)
        .values_list("number", flat=True)
        .first()
    )
    return None if number is None else policy_get(number=number)


def policy_missing_severities(version):
    """Severity levels the version has no level for, most serious first."""
    return list(SeverityLevel.objects.exclude(pk__in=version.levels.values("severity")))


def sign_off_teams():
    """The teams whose lead must approve every new version, with their leads."""
    leads = TeamMembership.objects.filter(is_lead=True).select_related("user")
    return Team.objects.filter(signs_off_policy=True).prefetch_related(
        Prefetch("memberships", queryset=leads, to_attr="lead_memberships")
    )


@dataclass
class SignOffProgress:
    required: list = field(default_factory=list)  # teams
    signed: list = field(default_factory=list)  # PolicySignOff rows
    missing: list = field(default_factory=list)  # teams

    @property
    def done(self):
        return len(self.signed)

    @property
    def total(self):
        return len(self.required)

    @property
    def complete(self):
        return bool(self.required) and not self.missing

    def __str__(self):
        return f"{self.done} of {self.total}"


def policy_sign_off_progress(version, *, teams=None):
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


def lead_teams(user):
    """The sign-off teams `user` leads."""
    if not (user and user.is_authenticated and user.is_active):
        return Team.objects.none()
    return Team.objects.filter(
        signs_off_policy=True, memberships__user=user, memberships__is_lead=True
    )


def is_lead(user, team):
    return bool(
        user
        and user.is_authenticated
        and user.is_active
        and TeamMembership.objects.filter(team=team, user=user, is_lead=True).exists()
    )


def can_manage_policy(user):
    """Create and edit drafts, submit them: the model permission to change policy versions."""
    return bool(user and user.is_active and user.has_perm(MANAGE_PERMISSION))


def can_review_policy(user):
    """Sign off or reject a version in review: a lead of a sign-off team."""
    return lead_teams(user).exists()


def can_edit_matrix(user):
    return bool(user and user.is_active and user.has_perm(MATRIX_PERMISSION))


# --- Priority matrix ------------------------------------------------------------------------


def priority_matrix():
    """{(impact, urgency): priority} for the cells that are set."""
    cells = PriorityMatrixCell.objects.select_related("priority")
    return {(cell.impact, cell.urgency): cell.priority for cell in cells}


def priority_matrix_rows():
    """The grid as rows of impact, each with (urgency, priority or None), high first."""
    cells = priority_matrix()
    return [
        (impact, [(urgency, cells.get((impact.value, urgency.value))) for urgency in Urgency])
        for impact in Impact
    ]


def priority_matrix_names():
    """{impact: {urgency: priority name}} for the declaration form's suggestion script."""
    grid = {impact.value: {} for impact in Impact}
    for (impact, urgency), priority in priority_matrix().items():
        grid[impact][urgency] = priority.name
    return grid


def priority_suggestion(*, impact_level, urgency):
    cell = (
        PriorityMatrixCell.objects.filter(impact=impact_level, urgency=urgency)
        .select_related("priority")
        .first()
    )
    return cell.priority if cell else None
