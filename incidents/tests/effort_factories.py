"""Building blocks for the effort, cost and compliance tests: a policy in force, weighted
functions, incidents moved to a known time, role assignments and time logged as given."""

from datetime import UTC, datetime
from decimal import Decimal

from django.utils import timezone

from incidents import services
from incidents.models import EffortEntry, Incident, RoleAssignment
from people.models import CriticalFunction
from policy.models import PolicyLevel, PolicyStatus, PolicyVersion


def utc(*parts):
    return datetime(*parts, tzinfo=UTC)


def policy(author, levels, *, number=1):
    """An effective version with a level per severity: {severity: {field: value}}."""
    version = PolicyVersion.objects.create(
        number=number, status=PolicyStatus.EFFECTIVE, author=author, effective_at=timezone.now()
    )
    for severity, fields in levels.items():
        PolicyLevel.objects.create(
            version=version,
            severity=severity,
            **{"ack_target_minutes": 15, "update_cadence_minutes": 30, **fields},
        )
    return version


def function(slug, weight="1", **fields):
    return CriticalFunction.objects.create(
        slug=slug, name=slug.replace("-", " ").title(), cost_weight=Decimal(weight), **fields
    )


def move(incident, declared_at, resolved_at=None, **fields):
    """Put an incident at a known time (the services stamp `now`)."""
    values = {"declared_at": declared_at, "detected_at": declared_at, **fields}
    if resolved_at is not None:
        values.update(status="resolved", resolved_at=resolved_at, next_update_due=None)
    Incident.objects.filter(pk=incident.pk).update(**values)
    incident.refresh_from_db()
    return incident


def measure(incident):
    """Store the incident's compliance as the services would after a change."""
    incident.refresh_from_db()
    return services.incident_compliance_refresh(incident=incident)


def role(incident, function, user, start, end=None):
    return RoleAssignment.objects.create(
        incident=incident, function=function, user=user, started_at=start, ended_at=end
    )


def logged(incident, user, hours, day=None, function=None):
    """Time logged as stored, without the service's checks (those have tests of their own)."""
    return EffortEntry.objects.create(
        incident=incident,
        user=user,
        hours=Decimal(str(hours)),
        worked_on=day or incident.declared_at.date(),
        function=function,
    )
