"""Prometheus gauges of the outbox and the heartbeats, read at scrape time: an alert on the
oldest unsent delivery catches a stopped worker or a broker outage before anyone misses a page,
and one on a heartbeat's age names the part (beat, the workers of a queue) that stopped."""

import math
from collections.abc import Iterator

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import REGISTRY, GaugeMetricFamily

from notifications.models import Delivery, DeliveryStatus

from .heartbeats import heartbeat_ages

_registered = False


def _gauges() -> tuple[GaugeMetricFamily, GaugeMetricFamily, GaugeMetricFamily]:
    return (
        GaugeMetricFamily(
            "beacon_deliveries_unsettled",
            "Deliveries waiting, in flight or failed (no backup left), by channel",
            labels=["status", "channel"],
        ),
        GaugeMetricFamily(
            "beacon_deliveries_given_up",
            "Poison deliveries given up (their worker died or hung on every attempt), by channel",
            labels=["channel"],
        ),
        GaugeMetricFamily(
            "beacon_outbox_oldest_unsent_seconds",
            "Age of the oldest delivery that is due and not sent (0 when none)",
        ),
    )


class OutboxCollector:
    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield from _gauges()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        by_status, given_up, oldest = _gauges()
        try:
            unsettled = [DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.FAILED]
            rows = (
                Delivery.objects.filter(status__in=unsettled)
                .values("status", "channel")
                .annotate(total=Count("id"))
            )
            for row in rows:
                by_status.add_metric([row["status"], row["channel"]], row["total"])
            dead = Delivery.objects.filter(dead_at__isnull=False).values("channel")
            for dead_row in dead.annotate(total=Count("id")):
                given_up.add_metric([dead_row["channel"]], dead_row["total"])
            due = Delivery.objects.filter(
                status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING],
                next_attempt_at__lte=timezone.now(),
            ).aggregate(first=Min("next_attempt_at"))["first"]
        except Exception:  # noqa: BLE001 - a scrape must not fail because the DB is down
            return
        oldest.add_metric([], (timezone.now() - due).total_seconds() if due else 0)
        yield by_status
        yield given_up
        yield oldest


def _heartbeat_gauge() -> GaugeMetricFamily:
    return GaugeMetricFamily(
        "beacon_heartbeat_age_seconds",
        "Seconds since the part (beat, or a worker of the queue) last reported; +Inf if never",
        labels=["part"],
    )


class HeartbeatCollector:
    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield _heartbeat_gauge()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = _heartbeat_gauge()
        try:
            ages = heartbeat_ages()
        except Exception:  # noqa: BLE001 - a scrape must not fail because the DB is down
            return
        for part, age in ages.items():
            gauge.add_metric([part], math.inf if age is None else age)
        yield gauge


def register() -> None:
    global _registered
    if not _registered:
        REGISTRY.register(OutboxCollector())
        REGISTRY.register(HeartbeatCollector())
        _registered = True
