"""Monthly policy compliance per severity, from the compliance the services stored for each
incident: acknowledged within target, late status updates, postmortems due. Reads only."""

from dataclasses import dataclass
from datetime import date

from incidents.models import IncidentCompliance
from policy.models import SeverityLevel

from .months import month_incidents


@dataclass
class SeverityCompliance:
    severity: SeverityLevel | None  # None: all severities
    incidents: int = 0
    ack_measured: int = 0
    ack_within_target: int = 0
    late_updates: int = 0
    incidents_with_late_updates: int = 0
    longest_gap_minutes: float | None = None
    postmortems_due: int = 0
    postmortems_on_time: int = 0
    postmortems_late: int = 0

    def add(self, record: IncidentCompliance | None):
        self.incidents += 1
        if record is None:
            return
        if record.ack_within_target is not None:
            self.ack_measured += 1
            self.ack_within_target += int(record.ack_within_target)
        self.late_updates += record.late_updates
        self.incidents_with_late_updates += int(record.late_updates > 0)
        if record.longest_gap_minutes is not None:
            self.longest_gap_minutes = max(
                self.longest_gap_minutes or 0.0, record.longest_gap_minutes
            )
        if record.postmortem_due_at is not None:
            self.postmortems_due += 1
            self.postmortems_on_time += int(record.postmortem_on_time is True)
            self.postmortems_late += int(record.postmortem_on_time is False)

    @property
    def ack_share(self):
        """Share of the measured incidents acknowledged within target, 0–1 (None if none)."""
        if not self.ack_measured:
            return None
        return round(self.ack_within_target / self.ack_measured, 3)

    @property
    def ack_percent(self):
        share = self.ack_share
        return None if share is None else round(share * 100)


@dataclass
class ComplianceReport:
    month: date
    severities: list[SeverityCompliance]
    total: SeverityCompliance


def _compliance_of(incident):
    try:
        return incident.compliance
    except IncidentCompliance.DoesNotExist:
        return None


def compliance_report(*, user, month: date) -> ComplianceReport:
    """Per severity: acknowledged within target, late updates, postmortems due, from the
    compliance the services stored. Two queries."""
    incidents = month_incidents(user=user, month=month).select_related("compliance")
    rows = {level.pk: SeverityCompliance(level) for level in SeverityLevel.objects.all()}
    total = SeverityCompliance(None)
    for incident in incidents:
        record = _compliance_of(incident)
        rows[incident.severity_id].add(record)
        total.add(record)
    return ComplianceReport(month=month, severities=list(rows.values()), total=total)
