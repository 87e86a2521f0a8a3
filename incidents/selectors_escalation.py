"""Where an incident's escalations stand, for the incident page and the API: each one's chain,
the rounds and stages sent (to whom, who was skipped and why), the stage reached, and which
stage comes next and when, or why none will."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents.models import EscalationNotice, Incident
from policy import chains
from policy import selectors as policy_selectors
from policy.models import EscalationKind, PolicyLevel

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass
class EscalationState:
    kind: str
    description: str
    anchor: datetime
    # In order, recipients prefetched.
    sent: list[EscalationNotice] = field(default_factory=list)
    next_at: datetime | None = None
    next_who: str = ""
    stopped: str = ""  # why nothing more will be sent; empty while it runs

    @property
    def label(self) -> "StrOrPromise":
        return EscalationKind(self.kind).label

    @property
    def stage_reached(self) -> tuple[int, int] | None:
        return (self.sent[-1].round, self.sent[-1].stage) if self.sent else None

    @property
    def rounds(self) -> dict[int, list[EscalationNotice]]:
        grouped: dict[int, list[EscalationNotice]] = {}
        for notice in self.sent:
            grouped.setdefault(notice.round, []).append(notice)
        return grouped


def escalation_state(incident: Incident) -> list[EscalationState]:
    """The incident's escalations (acknowledgement first), each with its state."""
    level = policy_selectors.policy_level(
        version=incident.policy_version, severity=incident.severity
    )
    notices = list(
        EscalationNotice.objects.filter(incident=incident)
        .prefetch_related("recipients")
        .order_by("kind", "anchor", "round", "stage")
    )
    states = []
    acknowledgement = chains.ack_chain(level)
    if acknowledgement is not None:
        # One acknowledgement escalation whatever its anchor (a declaration time corrected
        # after its first pages): its notices in the order of the chain.
        sent = sorted(
            (n for n in notices if n.kind == EscalationKind.ACKNOWLEDGE),
            key=lambda notice: (notice.round, notice.stage),
        )
        stopped = ""
        if incident.acknowledged_at:
            stopped = _("acknowledged at %(at)s") % {"at": f"{incident.acknowledged_at:%H:%M}"}
        states.append(_state(acknowledgement, incident.declared_at, sent, stopped, incident))
    due = incident.next_update_due
    if incident.update_reminders and due is not None:
        sent = [n for n in notices if n.kind == EscalationKind.UPDATE and n.anchor == due]
        states.append(_state(chains.update_chain(level), due, sent, "", incident))
    return states


def _state(
    chain: chains.Chain,
    anchor: datetime,
    sent: list[EscalationNotice],
    stopped: str,
    incident: Incident,
) -> EscalationState:
    state = EscalationState(chain.kind, chains.describe(chain), anchor, sent, stopped=stopped)
    if not incident.is_active:
        state.stopped = _("the incident is %(status)s") % {
            "status": incident.get_status_display().lower()
        }
    if state.stopped:
        return state
    following = chain.following(anchor, state.stage_reached)
    if following is None:
        state.stopped = _("its %(rounds)d rounds are done") % {"rounds": chain.rounds}
    else:
        state.next_at = following.at
        state.next_who = chains.describe_target(chain, following.position)
    return state


@dataclass(frozen=True)
class AckWatch:
    """Where one active incident stands against its acknowledgement target, for the
    dashboard: when it was due, whether it is past it unacknowledged, and who was paged."""

    due_at: datetime | None
    overdue: bool
    paged: list[User]


def ack_overdue_first(
    incidents: Iterable[Incident], *, now: datetime | None = None
) -> list[Incident]:
    """`incidents` (active ones, in their order) with those unacknowledged past their policy's
    acknowledgement target first, longest overdue first; each gets `ack_watch`. Three queries
    however many incidents."""
    now = now or timezone.now()
    incidents = list(incidents)
    targets = _ack_targets(incidents)
    paged = _paged_by_incident([incident.pk for incident in incidents])
    for incident in incidents:
        target = targets.get((incident.policy_version_id, incident.severity_id))
        due_at = incident.declared_at + timedelta(minutes=target) if target else None
        overdue = bool(due_at and not incident.acknowledged_at and due_at < now)
        # `ack_watch` is this selector's, for the dashboard: the model does not declare it.
        incident.ack_watch = AckWatch(due_at, overdue, paged.get(incident.pk, []))  # type: ignore[attr-defined]
    late = sorted(
        (i for i in incidents if i.ack_watch.overdue),  # type: ignore[attr-defined]
        key=lambda i: i.ack_watch.due_at,  # type: ignore[attr-defined]
    )
    return late + [i for i in incidents if not i.ack_watch.overdue]  # type: ignore[attr-defined]


def _ack_targets(incidents: Iterable[Incident]) -> dict[tuple[int | None, int], int]:
    versions = {incident.policy_version_id for incident in incidents} - {None}
    levels = PolicyLevel.objects.filter(version__in=versions).values_list(
        "version_id", "severity_id", "ack_target_minutes"
    )
    return {(version, severity): minutes for version, severity, minutes in levels}


def _paged_by_incident(incident_ids: list[int]) -> dict[int, list[User]]:
    """Everyone each incident's acknowledgement escalation paged, in the order first paged."""
    notices = (
        EscalationNotice.objects.filter(
            incident_id__in=incident_ids, kind=EscalationKind.ACKNOWLEDGE
        )
        .prefetch_related("recipients")
        .order_by("round", "stage", "pk")
    )
    paged: dict[int, list[User]] = {}
    for notice in notices:
        people = paged.setdefault(notice.incident_id, [])
        people.extend(person for person in notice.recipients.all() if person not in people)
    return paged
