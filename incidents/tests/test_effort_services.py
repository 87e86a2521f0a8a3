"""Logging time on an incident and taking it back: services.effort_log / effort_remove."""

from datetime import date, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from incidents import services
from incidents.models import EffortEntry, TimelineKind
from incidents.tests import effort_factories as ef
from incidents.tests import factories
from people.models import UserPreference

pytestmark = pytest.mark.django_db


def effort_events(incident):
    return list(incident.timeline.filter(kind=TimelineKind.EFFORT_LOGGED).order_by("id"))


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def scribe():
    return ef.function("scribe", "0.5")


class TestLog:
    def test_logs_time_with_its_timeline_event(self, incident, commander_user, scribe, today):
        entry = services.effort_log(
            actor=commander_user,
            incident=incident,
            hours="1.75",
            worked_on=today,
            function=scribe,
            note="  Took notes on the bridge ",
        )
        entry.refresh_from_db()
        assert (entry.user, entry.hours, entry.worked_on) == (
            commander_user,
            Decimal("1.75"),
            today,
        )
        assert entry.function == scribe and entry.note == "Took notes on the bridge"
        [event] = effort_events(incident)
        assert event.actor == commander_user
        assert event.message == (
            f"cora logged 1.75 h on {today.isoformat()} as Scribe. Took notes on the bridge"
        )
        assert event.after == {
            "entry": entry.pk,
            "user": "cora",
            "hours": "1.75",
            "worked_on": today.isoformat(),
            "function": "scribe",
        }

    def test_a_responder_logs_on_the_day_of_declaration_without_function(
        self, incident, responder_user
    ):
        entry = services.effort_log(
            actor=responder_user,
            incident=incident,
            hours=Decimal("24"),
            worked_on=timezone.localdate(incident.declared_at),
        )
        assert entry.function is None and entry.hours == 24

    def test_time_can_be_logged_after_resolution(self, incident, commander_user, today):
        ef.move(incident, incident.declared_at - timedelta(days=2), incident.declared_at)
        entry = services.effort_log(
            actor=commander_user, incident=incident, hours=2, worked_on=today
        )
        assert entry.pk

    @pytest.mark.parametrize(
        ("hours", "message"),
        [
            ("0", "Log between 0.25 and 24 hours."),
            ("-1", "Log between 0.25 and 24 hours."),
            ("24.25", "Log between 0.25 and 24 hours."),
            ("2.1", "Log time in quarter hours (0.25, 0.5, 0.75 …)."),
            ("1.3", "Log time in quarter hours (0.25, 0.5, 0.75 …)."),
            ("lots", "Give the hours as a number, e.g. 1.5."),
            ("NaN", "Log between 0.25 and 24 hours."),
            (None, "Give the hours as a number, e.g. 1.5."),
        ],
    )
    def test_bad_hours(self, incident, commander_user, today, hours, message):
        with pytest.raises(ValidationError) as refused:
            services.effort_log(
                actor=commander_user, incident=incident, hours=hours, worked_on=today
            )
        assert refused.value.message_dict == {"hours": [message]}
        assert not EffortEntry.objects.exists() and not effort_events(incident)

    def test_a_day_in_the_future(self, incident, commander_user, today):
        with pytest.raises(ValidationError) as refused:
            services.effort_log(
                actor=commander_user,
                incident=incident,
                hours=1,
                worked_on=today + timedelta(days=1),
            )
        assert refused.value.message_dict == {"worked_on": ["This day is in the future."]}
        assert not EffortEntry.objects.exists()

    def test_a_day_before_the_declaration(self, incident, commander_user):
        declared_on = timezone.localdate(incident.declared_at)
        with pytest.raises(ValidationError) as refused:
            services.effort_log(
                actor=commander_user,
                incident=incident,
                hours=1,
                worked_on=declared_on - timedelta(days=1),
            )
        assert refused.value.message_dict == {
            "worked_on": [
                f"{incident.reference} was declared on {declared_on.isoformat()}: "
                "log time from that day on."
            ]
        }

    def test_no_day(self, incident, commander_user):
        with pytest.raises(ValidationError) as refused:
            services.effort_log(actor=commander_user, incident=incident, hours=1, worked_on=None)
        assert refused.value.message_dict == {"worked_on": ["Give the day worked."]}

    def test_the_day_is_the_users_own(self, incident, commander_user, responder_user):
        """Late evening in UTC is already tomorrow on Kiritimati (UTC+14)."""
        ef.move(incident, ef.utc(2026, 3, 10, 9, 0))
        UserPreference.objects.create(user=responder_user, time_zone="Pacific/Kiritimati")
        with mock.patch("django.utils.timezone.now", return_value=ef.utc(2026, 3, 10, 20, 0)):
            entry = services.effort_log(
                actor=responder_user, incident=incident, hours=1, worked_on=date(2026, 3, 11)
            )
            assert entry.worked_on == date(2026, 3, 11)
            with pytest.raises(ValidationError) as refused:
                services.effort_log(
                    actor=commander_user, incident=incident, hours=1, worked_on=date(2026, 3, 11)
                )
        assert refused.value.message_dict == {"worked_on": ["This day is in the future."]}

    def test_a_day_has_24_hours_across_incidents(self, declare, commander_user, today):
        first, second = declare(), declare(title="Search is down")
        services.effort_log(actor=commander_user, incident=first, hours=20, worked_on=today)
        with pytest.raises(ValidationError) as refused:
            services.effort_log(
                actor=commander_user, incident=second, hours="4.25", worked_on=today
            )
        assert refused.value.message_dict == {
            "hours": [f"You already logged 20 hours on {today.isoformat()}; a day has 24."]
        }
        services.effort_log(actor=commander_user, incident=second, hours=4, worked_on=today)

    def test_a_function_no_longer_in_use(self, incident, commander_user, today):
        retired = ef.function("retired", is_active=False)
        with pytest.raises(ValidationError) as refused:
            services.effort_log(
                actor=commander_user, incident=incident, hours=1, worked_on=today, function=retired
            )
        assert refused.value.message_dict == {"function": ["Retired is not in use."]}

    def test_a_note_too_long(self, incident, commander_user, today):
        with pytest.raises(ValidationError) as refused:
            services.effort_log(
                actor=commander_user, incident=incident, hours=1, worked_on=today, note="x" * 301
            )
        assert list(refused.value.message_dict) == ["note"]

    def test_a_stakeholder_may_not_log(self, incident, stakeholder_user, today):
        with pytest.raises(PermissionDenied):
            services.effort_log(actor=stakeholder_user, incident=incident, hours=1, worked_on=today)
        assert not EffortEntry.objects.exists() and not effort_events(incident)

    def test_an_outsider_may_not_log_on_a_private_incident(self, declare, security_type, today):
        private = declare(incident_type=security_type)
        outsider = factories.responder(username="olga")
        with pytest.raises(PermissionDenied):
            services.effort_log(actor=outsider, incident=private, hours=1, worked_on=today)
        assert not EffortEntry.objects.exists()


class TestRemove:
    @pytest.fixture
    def entry(self, incident, responder_user, today):
        return services.effort_log(
            actor=responder_user, incident=incident, hours=2, worked_on=today
        )

    def test_own_entry(self, incident, entry, responder_user, today):
        services.effort_remove(actor=responder_user, entry=entry)
        assert not EffortEntry.objects.exists()
        logged, removed = effort_events(incident)
        assert removed.actor == responder_user
        assert removed.message == f"rudy removed 2 h that rudy logged on {today.isoformat()}."
        assert removed.before == {
            "entry": entry.pk,
            "user": "rudy",
            "hours": "2.00",
            "worked_on": today.isoformat(),
        }
        assert removed.after == {"removed": True}

    def test_someone_elses_entry_is_refused(self, incident, entry, commander_user):
        with pytest.raises(PermissionDenied) as refused:
            services.effort_remove(actor=commander_user, entry=entry)
        assert str(refused.value) == (
            f"You may only remove the time you logged yourself on {incident.reference}."
        )
        assert EffortEntry.objects.filter(pk=entry.pk).exists()
        assert len(effort_events(incident)) == 1

    def test_with_the_change_permission_anyone_elses(self, incident, entry, commander_user):
        commander_user.user_permissions.add(Permission.objects.get(codename="change_effortentry"))
        coordinator = type(commander_user).objects.get(pk=commander_user.pk)
        services.effort_remove(actor=coordinator, entry=entry)
        assert not EffortEntry.objects.exists()

    def test_own_entry_after_losing_access_is_refused(self, incident, entry, responder_user):
        responder_user.groups.clear()
        responder = type(responder_user).objects.get(pk=responder_user.pk)
        # Rudy takes no part in Cora's incident: without his group he may no longer act on it.
        with pytest.raises(PermissionDenied):
            services.effort_remove(actor=responder, entry=entry)
