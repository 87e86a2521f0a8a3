"""Effort and cost figures (incidents/costing.py): per incident and per month, hand-computed;
the months (incidents/months.py) and the monthly compliance report (monthly_compliance.py)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import costing, monthly_compliance, months
from incidents.tests import effort_factories as ef
from incidents.tests import factories

pytestmark = pytest.mark.django_db

D = Decimal
MARCH = date(2026, 3, 1)


@pytest.fixture
def rate(settings):
    settings.BEACON_HOURLY_RATE = D("80")
    settings.BEACON_CURRENCY = "CHF"
    return D("80")


@pytest.fixture
def weighted():
    return {"commander": ef.function("commander", "1.5"), "scribe": ef.function("scribe", "0.5")}


@pytest.fixture
def dana():
    return factories.commander(username="dana")


@pytest.fixture
def levels(commander_user, sev1, sev2):
    return ef.policy(commander_user, {sev1: {"expected_people": 3}, sev2: {"expected_people": 2}})


def people(effort):
    return {(p.user.username, p.hours, p.cost, p.source) for p in effort.people}


class TestIncidentEffort:
    def test_logged_hours_with_weights_and_rate(
        self, declare, levels, weighted, commander_user, responder_user, rate, sev1
    ):
        incident = ef.move(declare(severity=sev1), ef.utc(2026, 3, 2, 10), ef.utc(2026, 3, 2, 12))
        ef.logged(incident, commander_user, "2", function=weighted["commander"])
        ef.logged(incident, responder_user, "1.25")
        ef.logged(incident, responder_user, "1.75")
        effort = costing.incident_effort(incident=incident)
        assert effort.actual_hours == D("5.00") and effort.logged_hours == D("5.00")
        assert effort.expected_hours == D("6.00")  # 3 people × 2 h
        assert effort.expected_people == 3 and effort.duration_hours == D("2.00")
        assert effort.cost == D("480.00")  # 2 h × 80 × 1.5 + 3 h × 80 × 1
        assert (effort.currency, effort.hourly_rate) == ("CHF", D("80"))
        assert people(effort) == {
            ("cora", D("2.00"), D("240.00"), costing.LOGGED),
            ("rudy", D("3.00"), D("240.00"), costing.LOGGED),
        }
        assert effort.share_of_expected == 83 and not effort.over_expected

    def test_derived_from_role_assignments_when_nothing_is_logged(
        self, declare, levels, weighted, commander_user, responder_user, dana, rate, sev1
    ):
        start = ef.utc(2026, 3, 10, 8)
        incident = ef.move(declare(severity=sev1), start, start + timedelta(hours=4.5))
        ef.role(incident, weighted["commander"], commander_user, start, start + timedelta(hours=2))
        ef.role(incident, weighted["commander"], dana, start + timedelta(hours=2))  # still held
        ef.role(incident, weighted["scribe"], responder_user, start)
        effort = costing.incident_effort(incident=incident)
        assert people(effort) == {
            ("cora", D("2.00"), D("240.00"), costing.FROM_ROLES),  # 2 h × 80 × 1.5
            ("dana", D("2.50"), D("300.00"), costing.FROM_ROLES),  # until resolution
            ("rudy", D("4.50"), D("180.00"), costing.FROM_ROLES),  # 4.5 h × 80 × 0.5
        }
        assert effort.actual_hours == D("9.00") and effort.derived_hours == D("9.00")
        assert effort.expected_hours == D("13.50") and effort.cost == D("720.00")

    def test_logging_replaces_a_persons_roles_only(
        self, declare, levels, weighted, commander_user, responder_user, rate
    ):
        start = ef.utc(2026, 3, 20, 9)
        incident = ef.move(declare(), start, start + timedelta(hours=1))
        ef.role(incident, weighted["commander"], commander_user, start)
        ef.role(incident, weighted["scribe"], responder_user, start)
        ef.logged(incident, commander_user, "1.5")
        effort = costing.incident_effort(incident=incident)
        assert people(effort) == {
            ("cora", D("1.50"), D("120.00"), costing.LOGGED),
            ("rudy", D("1.00"), D("40.00"), costing.FROM_ROLES),
        }
        assert effort.actual_hours == D("2.50") and effort.expected_hours == D("2.00")
        assert effort.over_expected and effort.share_of_expected == 125

    def test_two_functions_at_once_count_once_at_the_higher_weight(
        self, declare, weighted, commander_user, rate
    ):
        start = ef.utc(2026, 3, 20, 9)
        incident = ef.move(declare(), start, start + timedelta(hours=5))
        hour = timedelta(hours=1)
        ef.role(incident, weighted["commander"], commander_user, start, start + 2 * hour)
        ef.role(incident, weighted["scribe"], commander_user, start + hour, start + 3 * hour)
        effort = costing.incident_effort(incident=incident)
        # 3 h in all: 2 h as commander (1.5), then 1 h as scribe only (0.5).
        assert people(effort) == {("cora", D("3.00"), D("280.00"), costing.FROM_ROLES)}

    def test_an_open_incident_runs_until_now_and_without_policy_expects_nothing(
        self, declare, weighted, commander_user, rate
    ):
        incident = declare()
        now = incident.declared_at + timedelta(minutes=90)
        ef.role(incident, weighted["scribe"], commander_user, incident.declared_at)
        effort = costing.incident_effort(incident=incident, now=now)
        assert effort.duration_hours == D("1.50") and effort.actual_hours == D("1.50")
        assert effort.expected_hours is None and effort.expected_people is None
        assert effort.cost == D("60.00") and effort.share_of_expected is None

    def test_derived_time_counts_whole_minutes(self, declare, weighted, commander_user, rate):
        start = ef.utc(2026, 3, 20, 9)
        end = start + timedelta(hours=1, seconds=50)
        incident = ef.move(declare(), start, end)
        ef.role(incident, weighted["commander"], commander_user, start + timedelta(seconds=20))
        effort = costing.incident_effort(incident=incident)
        assert people(effort) == {("cora", D("1.00"), D("120.00"), costing.FROM_ROLES)}

    def test_default_rate_and_currency(self, declare, commander_user):
        incident = declare()
        ef.logged(incident, commander_user, "1")
        effort = costing.incident_effort(incident=incident)
        assert (effort.cost, effort.currency) == (D("100.00"), "EUR")


@pytest.fixture
def march(
    declare, levels, weighted, commander_user, responder_user, dana, sev1, sev2, security_type
):
    """The month in the figures below; every number in the tests is worked out by hand."""
    hour = timedelta(hours=1)
    # A: SEV1, 2 h, expects 3 × 2 = 6 h; logged 2 h as commander + 3 h: 5 h, 240 + 240.
    a = ef.move(declare(severity=sev1, title="A"), ef.utc(2026, 3, 2, 10), ef.utc(2026, 3, 2, 12))
    ef.logged(a, commander_user, "2", function=weighted["commander"])
    ef.logged(a, responder_user, "3")
    # B: SEV1, 4.5 h, expects 13.5 h; roles only: 2 + 2.5 h commander, 4.5 h scribe: 9 h, 720.
    b_start = ef.utc(2026, 3, 10, 8)
    b = ef.move(declare(severity=sev1, title="B"), b_start, b_start + 4.5 * hour)
    ef.role(b, weighted["commander"], commander_user, b_start, b_start + 2 * hour)
    ef.role(b, weighted["commander"], dana, b_start + 2 * hour)
    ef.role(b, weighted["scribe"], responder_user, b_start)
    # C: SEV2, 1 h, expects 2 h; Cora logged 1.5 h (her role ignored), Rudy 1 h scribe: 160.
    c_start = ef.utc(2026, 3, 20, 9)
    c = ef.move(declare(title="C"), c_start, c_start + hour)
    ef.role(c, weighted["commander"], commander_user, c_start)
    ef.role(c, weighted["scribe"], responder_user, c_start)
    ef.logged(c, commander_user, "1.5")
    # D: SEV2 under no policy: 1 h logged, 80, no expectation.
    d = ef.move(
        declare(title="D"),
        ef.utc(2026, 3, 31, 22, 30),
        ef.utc(2026, 3, 31, 23, 30),
        policy_version=None,
    )
    ef.logged(d, responder_user, "1")
    # Left out: declared in April, a drill, and (for Stella) a private incident.
    ef.logged(ef.move(declare(title="E"), ef.utc(2026, 4, 1, 0, 30)), responder_user, "7")
    ef.logged(
        ef.move(declare(title="F", is_drill=True), ef.utc(2026, 3, 5, 9)), responder_user, "7"
    )
    g = ef.move(
        declare(title="G", incident_type=security_type, actor=dana),
        ef.utc(2026, 3, 15, 9),
        ef.utc(2026, 3, 15, 10),
    )
    ef.logged(g, dana, "10")
    return {"A": a, "B": b, "C": c, "D": d, "G": g}


def by_severity(report):
    return {
        row.severity.name: (
            row.incidents,
            row.actual_hours,
            row.expected_hours,
            row.incidents_without_policy,
            row.cost,
        )
        for row in report.severities
    }


class TestMonthlyEffort:
    def test_figures_per_severity(self, march, stakeholder_user, rate):
        report = costing.effort_report(user=stakeholder_user, month=MARCH)
        assert by_severity(report) == {
            "SEV1": (2, D("14.00"), D("19.50"), 0, D("1200.00")),
            "SEV2": (2, D("3.50"), D("2.00"), 1, D("240.00")),
        }
        total = report.total
        assert (total.incidents, total.actual_hours, total.expected_hours, total.cost) == (
            4,
            D("17.50"),
            D("21.50"),
            D("1440.00"),
        )
        assert report.severities[0].share_of_expected == 72  # 14 / 19.5
        assert report.severities[1].over_expected
        assert [i.title for i, _effort in report.incidents] == ["A", "B", "C", "D"]
        assert (report.currency, report.hourly_rate) == ("CHF", D("80"))

    def test_private_incidents_count_for_those_who_may_see_them(self, march, admin_user, rate):
        report = costing.effort_report(user=admin_user, month=MARCH)
        assert by_severity(report)["SEV2"] == (3, D("13.50"), D("4.00"), 1, D("1040.00"))

    def test_another_month(self, march, stakeholder_user, rate):
        report = costing.effort_report(user=stakeholder_user, month=date(2026, 4, 1))
        assert report.total.incidents == 1 and report.total.actual_hours == D("7.00")

    def test_month_boundaries_follow_the_time_zone(self, march, stakeholder_user, rate):
        with timezone.override("Europe/Berlin"):  # D, 31 Mar 22:30 UTC, is 1 Apr 00:30 there
            march_report = costing.effort_report(user=stakeholder_user, month=MARCH)
            april_report = costing.effort_report(user=stakeholder_user, month=date(2026, 4, 1))
        assert march_report.total.incidents == 3
        assert april_report.total.incidents == 2

    def test_constant_queries(self, declare, levels, weighted, commander_user, stakeholder_user):
        def month_with(count, month):
            for number in range(count):
                start = ef.utc(month.year, month.month, 2 + number, 9)
                incident = ef.move(declare(title=f"I{number}"), start, start + timedelta(hours=1))
                ef.logged(incident, commander_user, "1", function=weighted["commander"])
                ef.role(incident, weighted["scribe"], stakeholder_user, start)
                ef.measure(incident)
            with CaptureQueriesContext(connection) as queries:
                costing.effort_report(user=stakeholder_user, month=month)
                monthly_compliance.compliance_report(user=stakeholder_user, month=month)
            return len(queries)

        assert month_with(1, MARCH) == month_with(5, date(2026, 5, 1))


class TestMonths:
    @pytest.mark.parametrize("text", ["2026-13", "2026-00", "26-03", "2026/03", "", None, "x"])
    def test_bad_months(self, text):
        with pytest.raises(ValueError):
            months.parse_month(text)

    def test_parse_and_shift(self):
        assert months.parse_month(" 2026-03 ") == MARCH
        assert months.shift_month(date(2026, 1, 1), -1) == date(2025, 12, 1)
        assert months.shift_month(date(2026, 12, 1), 1) == date(2027, 1, 1)
