"""Policy compliance on the front doors: the incident page's Policy panel, the API's incident
detail, the monthly compliance report (portal and API) and the admin's incident page."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from incidents.models import StatusUpdate
from incidents.tests import effort_factories as ef

pytestmark = pytest.mark.django_db

FEBRUARY = date(2026, 2, 1)
MINUTE = timedelta(minutes=1)


def updates(incident, *moments):
    for moment in moments:
        StatusUpdate.objects.create(
            incident=incident,
            message="Still on it.",
            status=incident.status,
            posted_by=incident.declared_by,
            posted_at=moment,
        )


@pytest.fixture
def levels(commander_user, sev1, sev2):
    return ef.policy(commander_user, {sev1: {"expected_people": 3}, sev2: {}})


@pytest.fixture
def february(declare, levels, sev1, commander_user):
    """Three resolved incidents; every figure in the tests is worked out by hand."""
    # I1, SEV1: acknowledged in 10 of 15 min; gaps 20, 40, 20 (1 late); postmortem in 5 days.
    t1 = ef.utc(2026, 2, 3, 10)
    i1 = ef.move(
        declare(severity=sev1, title="I1"),
        t1,
        t1 + 80 * MINUTE,
        acknowledged_at=t1 + 10 * MINUTE,
    )
    updates(i1, t1 + 20 * MINUTE, t1 + 60 * MINUTE)
    # I2, SEV2: acknowledged in 20 of 15 min; no update in 65 min (1 late).
    t2 = ef.utc(2026, 2, 10, 9)
    i2 = ef.move(declare(title="I2"), t2, t2 + 65 * MINUTE, acknowledged_at=t2 + 20 * MINUTE)
    # I3, SEV2 under no policy: no target; the default 30 min cadence, gaps 25 and 20.
    t3 = ef.utc(2026, 2, 12, 9)
    i3 = ef.move(
        declare(title="I3"),
        t3,
        t3 + 45 * MINUTE,
        acknowledged_at=t3 + 5 * MINUTE,
        policy_version=None,
    )
    updates(i3, t3 + 25 * MINUTE)
    for incident in (i1, i2, i3):
        ef.measure(incident)
    return {"I1": i1, "I2": i2, "I3": i3}


def page_of(client, user, incident):
    client.force_login(user)
    return client.get(reverse("portal:incident", args=[incident.reference]))


def policy_panel(response):
    html = response.content.decode()
    start = html.index('id="policy"')
    return html[start : html.index("</section>", start)]


class TestIncidentPage:
    def test_policy_panel_with_everything_measured(self, client, february, stakeholder_user):
        panel = policy_panel(page_of(client, stakeholder_user, february["I1"]))
        assert "Response policy <strong>v1</strong>, SEV1 level" in panel
        rules = "Acknowledge within 15 min · update every 30 min · 3 people, 24/7 until resolved"
        assert rules in panel
        assert 'class="check is-ok"' in panel
        assert "Acknowledged in 10 min of a 15 min target" in panel
        assert "Updates every 30 min: 1 late" in panel and "longest gap 40 min" in panel
        assert "3 gaps between updates" in panel
        assert "declaration → update 1" in panel and "update 2 → resolution" in panel
        assert panel.count("tag-overdue") == 1  # the 40-minute gap
        assert "Postmortem due by" in panel
        assert '<time datetime="2026-02-08T11:20:00+00:00"' in panel

    def test_late_acknowledgement_is_marked(self, client, february, stakeholder_user):
        panel = policy_panel(page_of(client, stakeholder_user, february["I2"]))
        assert 'class="check is-late"' in panel
        assert "Acknowledged in 20 min of a 15 min target" in panel
        assert "Updates every 30 min: 1 late" in panel and "longest gap 1 h 05 min" in panel

    def test_without_policy(self, client, february, stakeholder_user):
        panel = policy_panel(page_of(client, stakeholder_user, february["I3"]))
        assert "No response policy was in force" in panel
        assert "Acknowledged in 5 min, no target set" in panel
        assert "Updates every 30 min: 0 late" in panel
        assert "Postmortem" not in panel

    def test_an_open_incident_waiting_for_acknowledgement(
        self, client, declare, levels, commander_user
    ):
        incident = declare()
        panel = policy_panel(page_of(client, commander_user, incident))
        assert "Not acknowledged yet: target 15 min" in panel
        assert "so far" in panel and "declaration → now" in panel


class TestApi:
    def test_detail_has_compliance_policy_version_and_effort(self, february, stakeholder_user):
        client = APIClient()
        client.force_authenticate(stakeholder_user)
        body = client.get(f"/api/v1/incidents/{february['I1'].reference}/").json()
        assert body["policy_version"] == 1
        compliance = body["compliance"]
        assert compliance.pop("computed_at")
        assert compliance == {
            "ack_target_minutes": 15,
            "ack_minutes": 10.0,
            "ack_within_target": True,
            "update_cadence_minutes": 30,
            "update_gaps_minutes": [20.0, 40.0, 20.0],
            "late_updates": 1,
            "longest_gap_minutes": 40.0,
            "postmortem_due_at": "2026-02-08T11:20:00Z",
            "postmortem_on_time": None,
        }
        assert body["effort"] == {
            "actual_hours": "0.00",
            "expected_hours": "4.00",  # 3 people × 80 min
            "logged_hours": "0.00",
            "derived_hours": "0.00",
            "duration_hours": "1.33",
            "expected_people": 3,
            "cost": "0.00",
            "currency": "EUR",
            "hourly_rate": "100.00",
            "people": [],
        }

    def test_detail_without_policy(self, february, stakeholder_user):
        client = APIClient()
        client.force_authenticate(stakeholder_user)
        body = client.get(f"/api/v1/incidents/{february['I3'].reference}/").json()
        assert body["policy_version"] is None
        assert body["compliance"]["ack_target_minutes"] is None
        assert body["compliance"]["ack_within_target"] is None
        assert body["effort"]["expected_hours"] is None

    def test_compliance_report(self, february, stakeholder_user):
        client = APIClient()
        client.force_authenticate(stakeholder_user)
        response = client.get("/api/v1/reports/compliance/", {"month": "2026-02"})
        assert response.status_code == 200
        body = response.json()
        assert body["month"] == "2026-02"
        rows = {row["severity"]: row for row in body["severities"]}
        assert rows["SEV1"] == {
            "severity": "SEV1",
            "incidents": 1,
            "ack_measured": 1,
            "ack_within_target": 1,
            "ack_share": 1.0,
            "late_updates": 1,
            "incidents_with_late_updates": 1,
            "longest_gap_minutes": 40.0,
            "postmortems_due": 1,
            "postmortems_on_time": 0,
            "postmortems_late": 0,
        }
        assert rows["SEV2"]["incidents"] == 2 and rows["SEV2"]["ack_share"] == 0.0
        assert body["total"] == {
            "severity": None,
            "incidents": 3,
            "ack_measured": 2,
            "ack_within_target": 1,
            "ack_share": 0.5,
            "late_updates": 2,
            "incidents_with_late_updates": 2,
            "longest_gap_minutes": 65.0,
            "postmortems_due": 2,
            "postmortems_on_time": 0,
            "postmortems_late": 0,
        }

    def test_compliance_report_of_an_empty_month(self, february, stakeholder_user):
        client = APIClient()
        client.force_authenticate(stakeholder_user)
        body = client.get("/api/v1/reports/compliance/", {"month": "2025-02"}).json()
        assert body["total"]["incidents"] == 0 and body["total"]["ack_share"] is None


class TestReportsPage:
    def test_compliance_figures(self, client, february, stakeholder_user):
        client.force_login(stakeholder_user)
        response = client.get(reverse("portal:reports"), {"month": "2026-02"})
        assert response.status_code == 200
        total = response.context["compliance"].total
        assert (total.incidents, total.ack_within_target, total.ack_measured) == (3, 1, 2)
        html = response.content.decode()
        start = html.index('id="compliance-report"')
        section = html[start : html.index("</section>", start)]
        assert "acknowledged within target (1 of 2)" in section
        assert "50%" in section and "1 h 05 min" in section


class TestAdmin:
    def test_incident_change_page_shows_compliance(self, admin_client, february):
        url = reverse("admin:incidents_incident_change", args=[february["I2"].pk])
        response = admin_client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        assert "Policy compliance" in html
        assert "[65.0]" in html  # the gaps
