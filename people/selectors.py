"""Who holds a critical function, and where the organisation has a single point of failure.

A delegate is skipped when their account is inactive or an unavailability window covers the
moment asked about; the next by rank stands in. A team with no available delegate for a
function falls back to the organisation's delegates.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.contrib.auth.models import User
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.names import display_name
from people.models import CriticalFunction, Delegation, Team, Unavailability

SPOF_HORIZON = timedelta(days=14)
MINIMUM_AVAILABLE = 2

# Each person's unavailability windows, by user id.
Windows = dict[int, list[Unavailability]]
# The delegates of one function in each scope (a team, or None: the organisation), by rank.
Ranked = dict[Team | None, list[Delegation]]


@dataclass(frozen=True)
class Skipped:
    user: User
    reason: str


@dataclass
class Holder:
    """The answer to "who holds function F for scope S at time T", with the people skipped."""

    function: CriticalFunction
    team: Team | None
    user: User | None = None
    delegation: Delegation | None = None  # the user's, when there is one
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def explanation(self) -> str:
        reasons = [
            _("%(user)s %(reason)s") % {"user": display_name(s.user), "reason": s.reason}
            for s in self.skipped
        ]
        if self.delegation is None:
            return "; ".join(reasons) or _("nobody holds this function")
        if self.delegation.rank == 1 and not self.skipped:
            return _("primary delegate")
        standing_in = _("rank %(rank)s stands in") % {"rank": self.delegation.rank}
        return "; ".join([*reasons, standing_in])


def _windows_by_user(user_ids: Iterable[int], start: datetime, end: datetime) -> Windows:
    windows: Windows = {}
    for window in Unavailability.objects.filter(
        user_id__in=user_ids, ends_at__gt=start, starts_at__lt=end
    ).order_by("starts_at"):
        windows.setdefault(window.user_id, []).append(window)
    return windows


def _unavailable_reason(user: User, windows: Windows, at: datetime) -> str | None:
    if not user.is_active:
        return _("has no active account")
    for window in windows.get(user.pk, ()):
        if window.starts_at <= at < window.ends_at:
            # Stored on role assignments and read in any time zone: say it in UTC.
            return _("is unavailable (%(reason)s) until %(until)s UTC") % {
                "reason": window.get_reason_display().lower(),
                "until": window.ends_at.astimezone(UTC).strftime("%a %d %b %H:%M"),
            }
    return None


def unavailable_reason(user: User, *, at: datetime | None = None) -> str | None:
    """Why `user` cannot be reached at `at` (inactive, or inside a window), or None."""
    at = at or timezone.now()
    return _unavailable_reason(user, _windows_by_user([user.pk], at, at + timedelta(seconds=1)), at)


def _ranked(function: CriticalFunction, team: Team | None) -> list[Delegation]:
    return list(
        Delegation.objects.filter(function=function, team=team)
        .select_related("user")
        .order_by("rank")
    )


def delegate_for(
    *,
    function: CriticalFunction,
    team: Team | None = None,
    at: datetime | None = None,
    exclude: Iterable[User | None] = (),
) -> Holder:
    """The first available delegate by rank (team, then organisation), skipping `exclude`."""
    at = at or timezone.now()
    scopes = [team, None] if team is not None else [None]
    ranked = {scope: _ranked(function, scope) for scope in scopes}
    users = [d.user_id for delegations in ranked.values() for d in delegations]
    windows = _windows_by_user(users, at, at + timedelta(seconds=1))
    return _first_available(function, team, ranked, windows, at, exclude)


def _first_available(
    function: CriticalFunction,
    team: Team | None,
    ranked: Ranked,
    windows: Windows,
    at: datetime,
    exclude: Iterable[User | None],
) -> Holder:
    excluded = {user.pk for user in exclude if user is not None}
    skipped: list[Skipped] = []
    for scope, delegations in ranked.items():
        for delegation in delegations:
            reason = _unavailable_reason(delegation.user, windows, at)
            if reason is None and delegation.user_id in excluded:
                reason = _("is the one being escalated from")
            if reason is None:
                return Holder(function, scope, delegation.user, delegation, skipped)
            skipped.append(Skipped(delegation.user, reason))
    return Holder(function, team, skipped=skipped)


class Delegates:
    """`delegate_for` and `unavailable_reason` for many incidents at one moment, from rows read
    once: the delegations of `teams` and the organisation's, and the unavailability windows of
    their people and of `others` (the people the callers may reach besides delegates)."""

    def __init__(
        self, *, teams: Iterable[Team | None], at: datetime, others: Iterable[int] = ()
    ) -> None:
        self.at = at
        self.ranked: dict[tuple[int, int | None], list[Delegation]] = {}
        rows = (
            Delegation.objects.filter(Q(team__in=[t for t in teams if t]) | Q(team=None))
            .select_related("user__preference")
            .order_by("rank", "pk")
        )
        for delegation in rows:
            key = (delegation.function_id, delegation.team_id)
            self.ranked.setdefault(key, []).append(delegation)
        users = {d.user_id for ds in self.ranked.values() for d in ds} | set(others)
        self.windows = _windows_by_user(users, at, at + timedelta(seconds=1))

    def unavailable_reason(self, user: User) -> str | None:
        return _unavailable_reason(user, self.windows, self.at)

    def delegate_for(
        self,
        *,
        function: CriticalFunction,
        team: Team | None = None,
        exclude: Iterable[User | None] = (),
    ) -> Holder:
        scopes = [team, None] if team is not None else [None]
        ranked = {
            scope: self.ranked.get((function.pk, scope.pk if scope else None), [])
            for scope in scopes
        }
        return _first_available(function, team, ranked, self.windows, self.at, exclude)


@dataclass
class SpofRow:
    """A function × scope and how many of its delegates are available, now and at worst."""

    function: CriticalFunction
    team: Team | None
    delegates: list[User]
    available_now: int
    fewest_available: int
    fewest_at: datetime

    @property
    def is_spof(self) -> bool:
        return self.fewest_available < MINIMUM_AVAILABLE

    @property
    def scope_label(self) -> str:
        return self.team.name if self.team else _("Organisation")


def _available_count(users: Iterable[User], windows: Windows, at: datetime) -> int:
    return sum(1 for user in users if _unavailable_reason(user, windows, at) is None)


def coverage(*, at: datetime | None = None, horizon: timedelta = SPOF_HORIZON) -> list[SpofRow]:
    """Every function at organisation scope, and every function × team with delegates.

    Availability only drops when a window starts, so the worst moment of the horizon is now or
    the start of one of the delegates' windows.
    """
    start = at or timezone.now()
    end = start + horizon
    delegations = list(
        Delegation.objects.select_related("user", "team", "function").order_by("rank")
    )
    windows = _windows_by_user({d.user_id for d in delegations}, start, end)
    scopes: dict[tuple[CriticalFunction, Team | None], list[User]] = {
        (function, None): [] for function in CriticalFunction.objects.filter(is_active=True)
    }
    for delegation in delegations:
        if delegation.function.is_active:
            scopes.setdefault((delegation.function, delegation.team), []).append(delegation.user)
    rows = []
    for (function, team), users in scopes.items():
        moments = [start] + [
            w.starts_at for u in users for w in windows.get(u.pk, ()) if w.starts_at > start
        ]
        counts = [(_available_count(users, windows, moment), moment) for moment in moments]
        fewest, fewest_at = min(counts, key=lambda pair: (pair[0], pair[1]))
        rows.append(SpofRow(function, team, users, counts[0][0], fewest, fewest_at))
    rows.sort(
        key=lambda r: (
            r.function.position,
            r.function.name,
            r.team is not None,
            r.team.name if r.team else "",
        )
    )
    return rows


def single_points_of_failure(
    *, at: datetime | None = None, horizon: timedelta = SPOF_HORIZON
) -> list[SpofRow]:
    return [row for row in coverage(at=at, horizon=horizon) if row.is_spof]
