"""Prometheus gauges read from the database at scrape time.

Private incidents are left out: /metrics is unauthenticated and must not reveal them.
"""

from django.db.models import Count
from prometheus_client.core import REGISTRY, GaugeMetricFamily

from incidents.models import Incident, IncidentStatus

_registered = False


def _gauge():
    return GaugeMetricFamily(
        "beacon_active_incidents",
        "Active public incidents by severity and status",
        labels=["severity", "status"],
    )


class ActiveIncidentsCollector:
    def describe(self):
        # Declaring the metric up front keeps the registry from querying at start-up.
        yield _gauge()

    def collect(self):
        gauge = _gauge()
        try:
            rows = (
                Incident.objects.filter(
                    status__in=IncidentStatus.active(), is_private=False, is_drill=False
                )
                .values("severity__name", "status")
                .annotate(total=Count("id"))
            )
            for row in rows:
                gauge.add_metric([row["severity__name"], row["status"]], row["total"])
        except Exception:  # noqa: BLE001 - a scrape must not fail because the DB is down
            return
        yield gauge


def register():
    global _registered
    if not _registered:
        REGISTRY.register(ActiveIncidentsCollector())
        _registered = True
