from django.utils import timezone

from incidents import compliance, selectors
from incidents.models import IncidentCompliance


def incident_compliance_refresh(*, incident, now=None) -> IncidentCompliance:
    """Store how `incident` measures up to its policy. Runs inside the caller's transaction
    after every change that moves a measure, and periodically for incidents still open."""
    level = selectors.policy_level(version=incident.policy_version, severity=incident.severity)
    measured = compliance.measure(
        incident=incident,
        level=level,
        update_times=list(incident.updates.values_list("posted_at", flat=True)),
        now=now or timezone.now(),
    )
    record, _created = IncidentCompliance.objects.update_or_create(
        incident=incident,
        defaults={**measured.__dict__, "computed_at": now or timezone.now()},
    )
    return record
