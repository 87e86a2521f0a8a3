"""The one writer of an incident's timeline. It sits below the services package so that what
the services call while they work (staffing.py) can write the timeline without importing the
services; the services reach it through services/base.py."""

from collections.abc import Mapping

from django.contrib.auth.models import User

from incidents.models import Incident, TimelineEvent


def record_event(
    incident: Incident,
    kind: str,
    actor: User | None,
    message: str,
    *,
    before: Mapping[str, object] | None = None,
    after: Mapping[str, object] | None = None,
) -> TimelineEvent:
    event = timeline_event(incident, kind, actor, message, before=before, after=after)
    event.save()
    return event


def timeline_event(
    incident: Incident,
    kind: str,
    actor: User | None,
    message: str,
    *,
    before: Mapping[str, object] | None = None,
    after: Mapping[str, object] | None = None,
) -> TimelineEvent:
    """A timeline row not saved yet, for callers that write many at once."""
    return TimelineEvent(
        incident=incident,
        kind=kind,
        actor=actor,
        message=message,
        before=before or {},
        after=after or {},
    )
