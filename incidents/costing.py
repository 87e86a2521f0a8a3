"""Effort and cost: what an incident took against what its policy expected. Reads only.

Actual effort, per person on an incident:
- the hours they logged (EffortEntry), when they logged any;
- otherwise the time they held critical functions (RoleAssignment `started_at` → `ended_at`,
  or the incident's end for a function still held), in whole minutes. A person holding two
  functions at once counts once, at the higher cost weight. The policy's business-hours
  staffing is not applied: a derived hour is a wall-clock hour.

Expected effort: the policy level's `expected_people` × the incident's duration in hours
(declared → resolved, cancelled, or now), for the level of the incident's policy version and
severity; None for an incident that ran under no policy.

Cost: Σ hours × `BEACON_HOURLY_RATE` × the function's `cost_weight` (1 for time logged without
a function), in `BEACON_CURRENCY`. Money and hours are Decimals rounded to cents and hundredths
at the end, never floats.

The monthly effort report covers a month's incidents as months.py counts them.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone

from incidents.models import EffortEntry, RoleAssignment
from policy import selectors as policy_selectors
from policy.models import PolicyLevel, SeverityLevel

from .months import month_incidents

ONE = Decimal("1")
CENT = Decimal("0.01")
SECONDS_PER_HOUR = Decimal(3600)
LOGGED = "logged"
FROM_ROLES = "roles"


def hourly_rate() -> Decimal:
    return Decimal(settings.BEACON_HOURLY_RATE)


def currency() -> str:
    return settings.BEACON_CURRENCY


def rounded(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def percent_of(part: Decimal, whole: Decimal | None) -> int | None:
    """`part` as a whole percentage of `whole`, half up (None when `whole` is 0 or None)."""
    if not whole:
        return None
    return int((part / whole * 100).to_integral_value(ROUND_HALF_UP))


def hours_between(start, end) -> Decimal:
    """Wall-clock hours from `start` to `end`, exact; never negative."""
    delta = end - start
    if delta <= timedelta(0):
        return Decimal(0)
    seconds = Decimal(delta.days * 86400 + delta.seconds) + Decimal(delta.microseconds) / 10**6
    return seconds / SECONDS_PER_HOUR


def weight_of(function) -> Decimal:
    return function.cost_weight if function is not None else ONE


def incident_end(incident, now):
    return incident.resolved_at or incident.cancelled_at or now


# --- One incident ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonEffort:
    user: object
    hours: Decimal
    cost: Decimal
    source: str  # LOGGED or FROM_ROLES

    @property
    def is_logged(self):
        return self.source == LOGGED


@dataclass(frozen=True)
class IncidentEffort:
    actual_hours: Decimal
    expected_hours: Decimal | None
    cost: Decimal
    duration_hours: Decimal
    expected_people: int | None
    people: list[PersonEffort] = field(default_factory=list)
    currency: str = ""
    hourly_rate: Decimal = ONE

    @property
    def logged_hours(self):
        return sum((p.hours for p in self.people if p.is_logged), Decimal(0))

    @property
    def derived_hours(self):
        return sum((p.hours for p in self.people if not p.is_logged), Decimal(0))

    @property
    def share_of_expected(self):
        """Actual as a percentage of expected (None without an expectation)."""
        return percent_of(self.actual_hours, self.expected_hours)

    @property
    def over_expected(self):
        return self.expected_hours is not None and self.actual_hours > self.expected_hours


def _to_minute(moment):
    return moment.replace(second=0, microsecond=0)


def _role_effort(assignments, end):
    """(hours, hours × weight) for one person's assignments, in whole minutes; overlaps count
    once, at the highest weight among the functions held in that stretch."""
    spans = []
    for assignment in assignments:
        start = _to_minute(assignment.started_at)
        stop = _to_minute(min(assignment.ended_at or end, end))
        if stop > start:
            spans.append((start, stop, weight_of(assignment.function)))
    moments = sorted({moment for start, stop, _ in spans for moment in (start, stop)})
    hours = weighted = Decimal(0)
    for earlier, later in zip(moments, moments[1:], strict=False):
        weights = [w for start, stop, w in spans if start <= earlier and stop >= later]
        if weights:
            stretch = hours_between(earlier, later)
            hours += stretch
            weighted += stretch * max(weights)
    return hours, weighted


def measure_effort(*, incident, entries, assignments, level, now, rate=None) -> IncidentEffort:
    """The effort of `incident` from its effort entries and role assignments (no queries when
    their `user` and `function` are loaded)."""
    rate = hourly_rate() if rate is None else rate
    end = incident_end(incident, now)
    logged = defaultdict(list)
    for entry in entries:
        logged[entry.user_id].append(entry)
    held = defaultdict(list)
    for assignment in assignments:
        if assignment.user_id not in logged:
            held[assignment.user_id].append(assignment)

    people = []
    for person_entries in logged.values():
        hours = sum((e.hours for e in person_entries), Decimal(0))
        weighted = sum((e.hours * weight_of(e.function) for e in person_entries), Decimal(0))
        people.append(PersonEffort(person_entries[0].user, hours, weighted * rate, LOGGED))
    for person_assignments in held.values():
        hours, weighted = _role_effort(person_assignments, end)
        if hours:
            people.append(
                PersonEffort(person_assignments[0].user, hours, weighted * rate, FROM_ROLES)
            )

    duration = hours_between(incident.declared_at, end)
    expected = level.expected_people * duration if level is not None else None
    people = [
        PersonEffort(p.user, rounded(p.hours), rounded(p.cost), p.source)
        for p in sorted(people, key=lambda p: (-p.hours, str(p.user)))
    ]
    return IncidentEffort(
        actual_hours=rounded(sum((p.hours for p in people), Decimal(0))),
        expected_hours=rounded(expected) if expected is not None else None,
        cost=rounded(sum((p.cost for p in people), Decimal(0))),
        duration_hours=rounded(duration),
        expected_people=level.expected_people if level is not None else None,
        people=people,
        currency=currency(),
        hourly_rate=rate,
    )


def effort_entries(*, incident):
    return EffortEntry.objects.filter(incident=incident).select_related("user", "function")


def incident_effort(*, incident, now=None, level=None) -> IncidentEffort:
    """Actual and expected effort and cost of one incident the caller already may see."""
    if level is None:
        level = policy_selectors.policy_level(
            version=incident.policy_version, severity=incident.severity
        )
    return measure_effort(
        incident=incident,
        entries=list(effort_entries(incident=incident)),
        assignments=list(
            RoleAssignment.objects.filter(incident=incident).select_related("user", "function")
        ),
        level=level,
        now=now or timezone.now(),
    )


# --- Monthly effort and cost ------------------------------------------------------------------


@dataclass
class SeverityEffort:
    severity: SeverityLevel | None  # None: all severities
    incidents: int = 0
    actual_hours: Decimal = Decimal(0)
    expected_hours: Decimal = Decimal(0)
    incidents_without_policy: int = 0
    cost: Decimal = Decimal(0)

    def add(self, effort: IncidentEffort):
        self.incidents += 1
        self.actual_hours += effort.actual_hours
        self.cost += effort.cost
        if effort.expected_hours is None:
            self.incidents_without_policy += 1
        else:
            self.expected_hours += effort.expected_hours

    @property
    def share_of_expected(self):
        return percent_of(self.actual_hours, self.expected_hours)

    @property
    def over_expected(self):
        return bool(self.expected_hours) and self.actual_hours > self.expected_hours


@dataclass
class EffortReport:
    month: date
    severities: list[SeverityEffort]
    total: SeverityEffort
    currency: str
    hourly_rate: Decimal
    incidents: list = field(default_factory=list)  # (incident, IncidentEffort), by declaration


def _levels_for(incidents):
    """{(version id, severity id): level} for these incidents, in one query."""
    versions = {i.policy_version_id for i in incidents if i.policy_version_id}
    if not versions:
        return {}
    return {
        (level.version_id, level.severity_id): level
        for level in PolicyLevel.objects.filter(version_id__in=versions)
    }


def effort_report(*, user, month: date, now=None) -> EffortReport:
    """Per severity: people-hours actual vs expected and cost of the month's incidents.
    A constant number of queries, whatever the number of incidents."""
    now = now or timezone.now()
    incidents = list(
        month_incidents(user=user, month=month).prefetch_related(
            Prefetch("effort", queryset=EffortEntry.objects.select_related("user", "function")),
            Prefetch("roles", queryset=RoleAssignment.objects.select_related("user", "function")),
        )
    )
    levels = _levels_for(incidents)
    rows = {level.pk: SeverityEffort(level) for level in SeverityLevel.objects.all()}
    total = SeverityEffort(None)
    measured = []
    rate = hourly_rate()
    for incident in incidents:
        effort = measure_effort(
            incident=incident,
            entries=incident.effort.all(),
            assignments=incident.roles.all(),
            level=levels.get((incident.policy_version_id, incident.severity_id)),
            now=now,
            rate=rate,
        )
        rows[incident.severity_id].add(effort)
        total.add(effort)
        measured.append((incident, effort))
    return EffortReport(
        month=month,
        severities=list(rows.values()),
        total=total,
        currency=currency(),
        hourly_rate=rate,
        incidents=measured,
    )
