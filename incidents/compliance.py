"""How an incident measures up to the policy level it ran under: pure computation, no writes."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings


@dataclass(frozen=True)
class Compliance:
    ack_target_minutes: int | None
    ack_minutes: float | None
    ack_within_target: bool | None
    update_cadence_minutes: int
    update_gaps_minutes: list[float]
    late_updates: int
    longest_gap_minutes: float | None
    postmortem_due_at: object


def _minutes(delta):
    return round(delta.total_seconds() / 60, 1)


def measure(*, incident, level, update_times, now) -> Compliance:
    """`update_times`: when each status update was posted. Open gaps count up to `now`."""
    target = level.ack_target_minutes if level else None
    ack_minutes = (
        _minutes(incident.acknowledged_at - incident.declared_at)
        if incident.acknowledged_at
        else None
    )
    if target is None:
        ack_within = None
    elif ack_minutes is not None:
        ack_within = ack_minutes <= target
    elif now - incident.declared_at > timedelta(minutes=target):
        ack_within = False  # not acknowledged and already past the target
    else:
        ack_within = None

    cadence = (
        level.update_cadence_minutes if level else settings.BEACON_DEFAULT_UPDATE_CADENCE_MINUTES
    )
    end = incident.resolved_at or incident.cancelled_at or now
    moments = [incident.declared_at, *sorted(t for t in update_times if t <= end), end]
    gaps = [_minutes(later - earlier) for earlier, later in zip(moments, moments[1:], strict=False)]
    due_at = None
    if level and level.postmortem_required and incident.resolved_at:
        due_at = incident.resolved_at + timedelta(days=level.postmortem_due_days)
    return Compliance(
        ack_target_minutes=target,
        ack_minutes=ack_minutes,
        ack_within_target=ack_within,
        update_cadence_minutes=cadence,
        update_gaps_minutes=gaps,
        late_updates=sum(1 for gap in gaps if gap > cadence),
        longest_gap_minutes=max(gaps) if gaps else None,
        postmortem_due_at=due_at,
    )
