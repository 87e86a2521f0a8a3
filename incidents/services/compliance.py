from collections.abc import Iterable
from dataclasses import fields
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from incidents import compliance
from incidents.models import Incident, IncidentCompliance, IncidentStatus, StatusUpdate
from policy import selectors as policy_selectors
from policy.models import PolicyLevel

MEASURED = [f.name for f in fields(compliance.Compliance)]


def incident_compliance_refresh(
    *, incident: Incident, now: datetime | None = None, new: bool = False
) -> IncidentCompliance:
    """Store how `incident` measures up to its policy. Runs inside the caller's transaction
    after every change that moves a measure, and periodically for incidents still open. A
    `new` incident (being declared) has no status update and no measure yet."""
    level = policy_selectors.policy_level(
        version=incident.policy_version, severity=incident.severity
    )
    measured = compliance.measure(
        incident=incident,
        level=level,
        update_times=[] if new else list(incident.updates.values_list("posted_at", flat=True)),
        now=now or timezone.now(),
    )
    fields = {**measured.__dict__, "computed_at": now or timezone.now()}
    if new:
        return IncidentCompliance.objects.create(incident=incident, **fields)
    record, _created = IncidentCompliance.objects.update_or_create(
        incident=incident, defaults=fields
    )
    return record


def compliance_refresh_open(*, incident_ids: Iterable[int], now: datetime | None = None) -> int:
    """Re-measure the still-active incidents among `incident_ids`, in one transaction and a
    constant number of queries however many there are. Each is locked as a change to it would
    lock it, so a measure never overwrites the one a concurrent change just stored. Returns
    how many were measured."""
    now = now or timezone.now()
    with transaction.atomic():
        incidents = list(
            Incident.objects.select_for_update(of=("self",))
            .filter(pk__in=incident_ids, status__in=IncidentStatus.active())
            .order_by("pk")  # one lock order for every batch: no deadlock between them
        )
        versions = {incident.policy_version_id for incident in incidents} - {None}
        levels: dict[tuple[int | None, int], PolicyLevel] = {
            (level.version_id, level.severity_id): level
            for level in PolicyLevel.objects.filter(version__in=versions)
        }
        update_times: dict[int, list[datetime]] = {}
        for incident_id, posted_at in StatusUpdate.objects.filter(
            incident__in=incidents
        ).values_list("incident_id", "posted_at"):
            update_times.setdefault(incident_id, []).append(posted_at)
        records = []
        for incident in incidents:
            measured = compliance.measure(
                incident=incident,
                level=levels.get((incident.policy_version_id, incident.severity_id)),
                update_times=update_times.get(incident.pk, []),
                now=now,
            )
            records.append(
                IncidentCompliance(incident=incident, computed_at=now, **measured.__dict__)
            )
        IncidentCompliance.objects.bulk_create(
            records,
            update_conflicts=True,
            unique_fields=["incident"],
            update_fields=[*MEASURED, "computed_at"],
        )
    return len(records)
