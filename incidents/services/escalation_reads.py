"""What a batch of escalations reads, once for all its incidents, and what it writes, at once
for them all: a batch costs the same number of queries whether it holds 10 incidents or 200.

Read: the incidents (locked), their policy levels with the paged functions, the critical
functions, the current role holders, the delegations of their teams and the organisation's,
the unavailability windows of everyone the batch may reach, and the notices already sent.
The due query and the queue's marks are here too: which incidents a tick hands to batches.
Written: the notices and their recipients, the timeline rows, the notifications and their
deliveries (published after commit).
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db.models import DateTimeField, ExpressionWrapper, F, Q
from django.utils import timezone

from incidents.models import (
    EscalationNotice,
    Incident,
    IncidentStatus,
    RoleAssignment,
    TimelineEvent,
)
from notifications.models import Notification, NotificationEvent
from notifications.services.outbox import Outbox
from people.models import CriticalFunction, IncidentRoleField
from people.selectors import Delegates
from policy.models import EscalationKind, PolicyLevel

# A batch queued this long ago and not run yet is queued again (past the task's time limit).
QUEUED_FOR = timedelta(seconds=120)
# The acknowledgement escalation of an incident has ended (its rounds are done, or its level
# pages nobody): never due again, until its severity changes.
ACK_ENDED = timedelta(days=36500)


def escalations_due(*, now: datetime | None = None) -> list[int]:
    """Active incidents with a status update due, or an acknowledgement stage due (or not
    looked at yet), and no batch of theirs queued and pending."""
    now = now or timezone.now()
    ack_next_at = ExpressionWrapper(
        F("declared_at") + F("ack_escalation_next"), output_field=DateTimeField()
    )
    ack_due = Q(acknowledged_at=None) & (Q(ack_escalation_next=None) | Q(ack_next_at__lte=now))
    return list(
        Incident.objects.filter(status__in=IncidentStatus.active())
        .annotate(ack_next_at=ack_next_at)
        .filter(Q(update_reminders=True, next_update_due__lte=now) | ack_due)
        .exclude(escalation_queued_at__gt=now - QUEUED_FOR)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def escalations_queued(
    incident_ids: Iterable[int], *, now: datetime | None = None, queued: bool = True
) -> None:
    """Mark these incidents' batch queued (or, `queued=False`, not queued after all)."""
    Incident.objects.filter(pk__in=incident_ids).update(
        escalation_queued_at=(now or timezone.now()) if queued else None
    )


LOCKED_WITH = (
    "policy_version",
    "severity",
    "team",
    "commander__preference",
    "responder__preference",
)


def lock_batch(incident_ids: Iterable[int]) -> list[Incident]:
    """The active incidents among `incident_ids`, locked; those another transaction holds are
    left out (their worker is escalating them, or an acknowledgement is being written: the
    next tick finds them if anything is still due)."""
    return list(
        Incident.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related(*LOCKED_WITH)
        .filter(pk__in=list(incident_ids), status__in=IncidentStatus.active())
        .order_by("pk")
    )


class BatchReads:
    def __init__(self, incidents: list[Incident], now: datetime) -> None:
        self.now = now
        self.levels = _levels(incidents)
        functions = list(CriticalFunction.objects.all())
        self.functions = {f.slug: f for f in functions if f.is_active}
        self.function_names = {f.slug: f.name for f in functions}
        self.commander_function = next(
            (f for f in functions if f.incident_field == IncidentRoleField.COMMANDER), None
        )
        self.roles = _current_roles(incidents)
        reachable = {i.commander_id for i in incidents} | {i.responder_id for i in incidents}
        reachable |= {user.pk for user in self.roles.values()}
        others = {pk for pk in reachable if pk is not None}
        self.delegates = Delegates(teams={i.team for i in incidents}, at=now, others=others)
        self.notices = _notices(incidents)
        self.paged = _paged_before_escalating(incidents)

    def level(self, incident: Incident) -> PolicyLevel | None:
        return self.levels.get((incident.policy_version_id, incident.severity_id))

    def function(self, slug: str) -> CriticalFunction | None:
        return self.functions.get(slug)

    def current_holder(self, incident: Incident, function: CriticalFunction) -> User | None:
        if function.incident_field:
            holder: User | None = getattr(incident, function.incident_field)
            return holder
        return self.roles.get((incident.pk, function.pk))

    def notices_of(self, incident: Incident, kind: str) -> list[EscalationNotice]:
        return self.notices.get((incident.pk, kind), [])

    def paged_before_escalating(self, incident: Incident) -> set[int]:
        """The pks of whom the incident's pages reached before its acknowledgement escalation
        began (the response plan's "page function" steps)."""
        return self.paged.get(incident.pk, set())


def _levels(incidents: list[Incident]) -> dict[tuple[int | None, int], PolicyLevel]:
    versions = {i.policy_version_id for i in incidents} - {None}
    if not versions:
        return {}
    levels = PolicyLevel.objects.filter(
        version_id__in=versions, severity_id__in={i.severity_id for i in incidents}
    ).prefetch_related("paged_functions")
    found: dict[tuple[int | None, int], PolicyLevel] = {}
    for level in levels:
        found.setdefault((level.version_id, level.severity_id), level)
    return found


def _current_roles(incidents: list[Incident]) -> dict[tuple[int, int], User]:
    """(incident, function) → the holder of its current role (the first, as it was read one
    incident at a time)."""
    roles = (
        RoleAssignment.objects.filter(incident__in=[i.pk for i in incidents], ended_at=None)
        .select_related("user__preference")
        .order_by("incident", "function__position", "started_at")
    )
    found: dict[tuple[int, int], User] = {}
    for role in roles:
        found.setdefault((role.incident_id, role.function_id), role.user)
    return found


def _notices(incidents: list[Incident]) -> dict[tuple[int, str], list[EscalationNotice]]:
    """The notices already sent of each incident's acknowledgement escalation and of its
    current update escalation (the one counted from its due time)."""
    current = Q(kind=EscalationKind.ACKNOWLEDGE) | Q(
        kind=EscalationKind.UPDATE, anchor=F("incident__next_update_due")
    )
    notices = (
        EscalationNotice.objects.filter(current, incident__in=[i.pk for i in incidents])
        .prefetch_related("recipients")
        .order_by("incident", "kind", "anchor", "round", "stage")
    )
    found: dict[tuple[int, str], list[EscalationNotice]] = {}
    for notice in notices:
        found.setdefault((notice.incident_id, notice.kind), []).append(notice)
    return found


def _paged_before_escalating(incidents: list[Incident]) -> dict[int | None, set[int]]:
    ids = [i.pk for i in incidents]
    escalating = EscalationNotice.objects.filter(
        incident__in=ids, kind=EscalationKind.ACKNOWLEDGE
    ).values("incident")
    pages = (
        Notification.objects.filter(incident__in=ids, event=NotificationEvent.PAGE)
        .exclude(incident__in=escalating)
        .values_list("about_id", "people")
    )
    found: dict[int | None, set[int]] = {}
    for incident_id, people in pages:
        found.setdefault(incident_id, set()).update(people)
    return found


class BatchWrites:
    """The rows a batch writes, kept in order and written in one insert per table."""

    def __init__(self) -> None:
        self.notices: list[tuple[EscalationNotice, list[User]]] = []
        self.events: list[TimelineEvent] = []
        self.outbox = Outbox()

    def notice(self, notice: EscalationNotice, recipients: Iterable[User]) -> None:
        self.notices.append((notice, list({p.pk: p for p in recipients}.values())))

    def event(self, event: TimelineEvent) -> None:
        self.events.append(event)

    def write(self) -> list[EscalationNotice]:
        notices = EscalationNotice.objects.bulk_create(n for n, _people in self.notices)
        through = EscalationNotice.recipients.through
        through.objects.bulk_create(
            through(escalationnotice_id=notice.pk, user_id=person.pk)
            for notice, people in self.notices
            for person in people
        )
        TimelineEvent.objects.bulk_create(self.events)
        self.outbox.write()
        return notices
