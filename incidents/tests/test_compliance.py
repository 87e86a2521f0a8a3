from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import services, tasks
from incidents.compliance import measure
from incidents.models import IncidentCompliance
from incidents.services.compliance import compliance_refresh_open
from policy.models import PolicyLevel, PolicyStatus, PolicyVersion

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def at(minutes):
    return T0 + timedelta(minutes=minutes)


def incident(**fields):
    values = {"declared_at": T0, "acknowledged_at": None, "resolved_at": None, "cancelled_at": None}
    return SimpleNamespace(**{**values, **fields})


def level(**fields):
    values = {
        "ack_target_minutes": 15,
        "update_cadence_minutes": 30,
        "postmortem_required": True,
        "postmortem_due_days": 5,
    }
    return SimpleNamespace(**{**values, **fields})


class TestMeasure:
    def test_acknowledged_within_target_and_gaps_up_to_resolution(self):
        result = measure(
            incident=incident(acknowledged_at=at(10), resolved_at=at(100)),
            level=level(),
            update_times=[at(20), at(70)],
            now=at(500),
        )
        assert result.ack_minutes == 10 and result.ack_within_target is True
        assert result.update_gaps_minutes == [20, 50, 30]
        assert result.late_updates == 1 and result.longest_gap_minutes == 50
        assert result.postmortem_due_at == at(100) + timedelta(days=5)

    def test_late_acknowledgement(self):
        result = measure(
            incident=incident(acknowledged_at=at(16)), level=level(), update_times=[], now=at(20)
        )
        assert result.ack_within_target is False

    def test_unacknowledged_past_target_is_already_a_miss(self):
        result = measure(incident=incident(), level=level(), update_times=[], now=at(16))
        assert result.ack_within_target is False
        assert (
            measure(
                incident=incident(), level=level(), update_times=[], now=at(14)
            ).ack_within_target
            is None
        )

    def test_open_gap_counts_once_it_exceeds_the_cadence(self):
        assert (
            measure(
                incident=incident(), level=level(), update_times=[at(25)], now=at(50)
            ).late_updates
            == 0
        )
        assert (
            measure(
                incident=incident(), level=level(), update_times=[at(25)], now=at(56)
            ).late_updates
            == 1
        )

    def test_without_a_policy_the_default_cadence_and_no_targets(self, settings):
        settings.BEACON_DEFAULT_UPDATE_CADENCE_MINUTES = 30
        result = measure(incident=incident(), level=None, update_times=[], now=at(45))
        assert result.ack_target_minutes is None and result.ack_within_target is None
        assert result.update_cadence_minutes == 30 and result.late_updates == 1
        assert result.postmortem_due_at is None

    def test_postmortem_not_required(self):
        result = measure(
            incident=incident(resolved_at=at(60)),
            level=level(postmortem_required=False),
            update_times=[],
            now=at(60),
        )
        assert result.postmortem_due_at is None


@pytest.mark.django_db
class TestStored:
    def test_services_keep_the_record_current(self, declare, commander_user, sev2):
        version = PolicyVersion.objects.create(
            number=1,
            status=PolicyStatus.EFFECTIVE,
            author=commander_user,
            effective_at=timezone.now(),
        )
        PolicyLevel.objects.create(
            version=version, severity=sev2, ack_target_minutes=15, update_cadence_minutes=30
        )
        created = declare()
        record = IncidentCompliance.objects.get(incident=created)
        assert record.ack_target_minutes == 15 and record.ack_within_target is None
        services.incident_acknowledge(incident=created, actor=commander_user)
        services.incident_post_update(incident=created, actor=commander_user, message="x")
        record.refresh_from_db()
        assert record.ack_within_target is True
        assert len(record.update_gaps_minutes) == 2

    def test_periodic_refresh_measures_open_incidents_and_is_repeatable(self, declare):
        created = declare()
        IncidentCompliance.objects.filter(incident=created).delete()
        tasks.refresh_open_compliance()
        tasks.refresh_open_compliance()
        assert IncidentCompliance.objects.filter(incident=created).count() == 1

    def test_periodic_refresh_takes_the_same_queries_for_10_or_50_incidents(
        self, declare, commander_user, sev2, django_assert_max_num_queries
    ):
        version = PolicyVersion.objects.create(
            number=1,
            status=PolicyStatus.EFFECTIVE,
            author=commander_user,
            effective_at=timezone.now(),
        )
        PolicyLevel.objects.create(
            version=version, severity=sev2, ack_target_minutes=15, update_cadence_minutes=30
        )
        incidents = [declare(title=f"Outage {number}") for number in range(50)]
        services.incident_post_update(incident=incidents[0], actor=commander_user, message="x")
        later = timezone.now() + timedelta(minutes=45)
        with CaptureQueriesContext(connection) as ten:
            compliance_refresh_open(incident_ids=[i.pk for i in incidents[:10]], now=later)
        with django_assert_max_num_queries(len(ten)):
            measured = compliance_refresh_open(incident_ids=[i.pk for i in incidents], now=later)
        assert measured == 50
        first, last = (
            IncidentCompliance.objects.get(incident=i) for i in (incidents[0], incidents[-1])
        )
        assert first.computed_at == later and len(first.update_gaps_minutes) == 2
        assert last.ack_within_target is False and last.late_updates == 1
