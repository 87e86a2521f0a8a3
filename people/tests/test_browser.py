"""Delegates, My availability and the incident's Roles panel in headless Chromium.

Screenshots land in test-artifacts/ (people-*.png) for a person to look at.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import RoleAssignment
from incidents.tests import factories
from incidents.tests.browser import PASSWORD, shoot
from people.models import Delegation, Unavailability, UserPreference
from people.tests.setup import away, build_org

pytestmark = pytest.mark.browser


@pytest.fixture
def on_call(sev2, outage):
    """Cora (Berlin) commands; she is on holiday now, so Pat stood in on the incident.
    Nobody is delegated as responder; Pat is the only communications lead and goes on
    holiday in 3 days."""
    org = build_org()
    UserPreference.objects.create(user=org.cora, time_zone="Europe/Berlin")
    Delegation.objects.filter(function=org.responder).delete()
    factories.CriticalFunctionFactory(
        name="Scribe", slug="scribe", position=4, duties="Keeps the timeline for the postmortem."
    )
    org.commander.duties = "Owns the incident: coordinates, decides, posts status updates."
    org.commander.save()
    holiday = away(org.cora, starts_in=timedelta(hours=-2), lasts=timedelta(hours=3))
    away(org.pat, starts_in=timedelta(days=3), lasts=timedelta(days=7))
    incident = services.incident_declare(
        actor=org.rudy,
        title="Card payments declined in EU",
        incident_type=outage,
        severity=sev2,
        affects_customers=True,
        unplanned=True,
        exceeds_one_hour=True,
    )
    holiday.delete()  # Cora is back: she takes over in the test
    return org, incident


def test_delegates_roles_and_availability(page, live_server, on_call):
    org, incident = on_call
    tab = page
    tab.goto(f"{live_server.url}/accounts/login/")
    tab.fill("#id_username", "cora")
    tab.fill("#id_password", PASSWORD)
    tab.get_by_role("button", name="Log in").click()

    spof = tab.locator(".spof-count")
    assert "5 single points of failure" in spof.inner_text()
    spof.get_by_role("link").click()
    summary = tab.locator("#spof").inner_text()
    assert "Communications lead (Organisation): nobody available — Pat Lee is on holiday from" in (
        summary
    )
    assert "Incident commander (Organisation): only 1 available — Pat Lee is on holiday" in (
        summary
    )
    assert "Responder (Organisation): nobody is delegated" in summary
    shoot(tab, "people-delegates")

    tab.goto(f"{live_server.url}/incidents/{incident.reference}/")
    roles = tab.locator("#roles")
    assert "Nobody is Responder" in roles.inner_text()
    assert "rank 2 stands in" in roles.inner_text()
    shoot(tab, "people-incident-roles")

    roles.get_by_text("Hand a role over…").click()
    tab.select_option("#id_handover_function", label="Incident commander")
    tab.select_option("#id_handover_to_user", label="Cora Diaz")
    tab.fill("#id_handover_note", "Back from holiday")
    tab.get_by_role("button", name="Hand over").click()
    assert "Role handed over" in tab.locator(".messages").inner_text()
    holder = RoleAssignment.objects.get(incident=incident, function=org.commander, ended_at=None)
    assert holder.user == org.cora
    assert (
        "Pat Lee handed Incident commander over to Cora Diaz"
        in tab.locator("#timeline").inner_text()
    )
    shoot(tab, "people-incident-handed-over")

    tab.get_by_role("navigation").get_by_role("link", name="Delegates").click()
    tab.get_by_role("link", name="My availability").click()
    year = timezone.now().year + 1
    tab.fill("#id_starts_at", f"{year}-03-02T09:00")
    tab.fill("#id_ends_at", f"{year}-03-06T18:00")
    tab.select_option("#id_reason", label="Holiday")
    tab.fill("#id_note", "Skiing")
    tab.get_by_role("button", name="Add window").click()
    assert (
        "you are on holiday from 2 Mar 09:00 until 6 Mar 18:00"
        in tab.locator(".messages").inner_text()
    )
    assert Unavailability.objects.filter(user=org.cora).count() == 1
    shoot(tab, "people-availability")
