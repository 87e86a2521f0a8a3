"""The Effort and Policy panels and the Reports page in headless Chromium. Screenshots land in
test-artifacts/ for a person to look at."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import EffortEntry, StatusUpdate
from incidents.tests import effort_factories as ef
from incidents.tests import factories
from incidents.tests.browser import ARTIFACTS, PASSWORD, shoot
from people.models import UserPreference

pytestmark = pytest.mark.browser


@pytest.fixture
def month_of_incidents(sev1, sev2, outage):
    """A commander in Berlin time, a policy, and this month's incidents with effort logged."""
    cora = factories.commander(username="cora", first_name="Cora", last_name="Diaz")
    rudy = factories.responder(username="rudy", first_name="Rudy", last_name="Okafor")
    UserPreference.objects.create(user=cora, time_zone="Europe/Berlin")
    ef.policy(
        cora,
        {
            sev1: {"expected_people": 3, "ack_target_minutes": 10, "update_cadence_minutes": 20},
            sev2: {"expected_people": 2},
        },
    )
    commander = ef.function("incident-commander", "1.5")
    ef.function("scribe", "0.5")
    common = {
        "actor": rudy,
        "incident_type": outage,
        "affects_customers": True,
        "unplanned": True,
        "exceeds_one_hour": True,
    }
    now = timezone.now()
    db_down = services.incident_declare(
        **common, title="Primary database unreachable", severity=sev1, commander=rudy
    )
    start = now - timedelta(hours=3)
    ef.move(db_down, start, acknowledged_at=start + timedelta(minutes=14), status="investigating")
    for minutes in (15, 40, 95, 120):
        StatusUpdate.objects.create(
            incident=db_down,
            message="Working on it.",
            status="investigating",
            posted_by=rudy,
            posted_at=start + timedelta(minutes=minutes),
        )
    ef.role(db_down, commander, rudy, start)
    ef.logged(db_down, cora, "1.5", day=timezone.localdate(), function=commander)
    ef.measure(db_down)

    search = services.incident_declare(**common, title="Search results slow in EU", severity=sev2)
    start = now - timedelta(hours=30)
    ef.move(search, start, start + timedelta(hours=5), acknowledged_at=start)
    ef.logged(search, rudy, "4", day=timezone.localdate(start))
    ef.measure(search)
    return {"cora": cora, "db_down": db_down}


def test_effort_panel_and_reports(page, live_server, month_of_incidents):
    tab = page
    incident = month_of_incidents["db_down"]
    tab.goto(f"{live_server.url}/accounts/login/")
    tab.fill("#id_username", "cora")
    tab.fill("#id_password", PASSWORD)
    tab.get_by_role("button", name="Log in").click()

    tab.goto(f"{live_server.url}/incidents/{incident.reference}/")
    assert "Response policy v1, SEV1 level" in tab.locator("#policy").inner_text()
    shoot(tab, "incident-effort-policy")

    tab.fill("#id_effort_hours", "0.75")
    tab.fill("#id_effort_note", "Paged the database team")
    tab.get_by_role("button", name="Log time").click()
    assert "Logged 0.75 h" in tab.locator(".messages").inner_text()
    assert EffortEntry.objects.filter(incident=incident, user__username="cora").count() == 2
    assert "Paged the database team" in tab.locator("#effort").inner_text()
    shoot(tab, "incident-effort-logged")

    tab.get_by_role("navigation").get_by_role("link", name="Reports").click()
    assert tab.locator("#effort-report table.report tbody tr").count() == 2
    shoot(tab, "reports")

    tab.emulate_media(color_scheme="dark")
    tab.goto(f"{live_server.url}/incidents/{incident.reference}/")
    shoot(tab, "incident-effort-dark")
    tab.set_viewport_size({"width": 390, "height": 844})
    tab.goto(f"{live_server.url}/reports/")
    shoot(tab, "reports-phone-dark")
    tab.goto(f"{live_server.url}/incidents/{incident.reference}/")
    for panel in ("effort", "policy"):
        tab.locator(f"#{panel}").screenshot(path=str(ARTIFACTS / f"{panel}-panel-phone-dark.png"))
