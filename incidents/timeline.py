"""The one writer of an incident's timeline. It sits below the services package so that what
the services call while they work (staffing.py) can write the timeline without importing the
services; the services reach it through services/base.py."""

from incidents.models import TimelineEvent


def record_event(incident, kind, actor, message, *, before=None, after=None):
    return TimelineEvent.objects.create(
        incident=incident,
        kind=kind,
        actor=actor,
        message=message,
        before=before or {},
        after=after or {},
    )
