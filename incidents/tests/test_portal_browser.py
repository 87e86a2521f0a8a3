"""The portal in headless Chromium (Playwright's sync API) against pytest-django's live server.

One walk through an incident's life, as an on-call commander would do it. Screenshots land in
test-artifacts/ for a person to look at.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import Incident, IncidentStatus
from incidents.tests import factories
from incidents.tests.browser import PASSWORD, shoot
from people.models import UserPreference

pytestmark = pytest.mark.browser


@pytest.fixture
def on_call(sev1, sev2, outage, checkout_service):
    """A commander working in Berlin time, a colleague, and two incidents already running."""
    cora = factories.commander(username="cora", first_name="Cora", last_name="Diaz")
    rudy = factories.responder(username="rudy", first_name="Rudy", last_name="Okafor")
    UserPreference.objects.create(user=cora, time_zone="Europe/Berlin")
    common = {
        "actor": rudy,
        "incident_type": outage,
        "affects_customers": True,
        "unplanned": True,
        "exceeds_one_hour": True,
    }
    db_down = services.incident_declare(
        **common, title="Primary database unreachable", severity=sev1, commander=rudy
    )
    fifty_minutes_ago = timezone.now() - timedelta(minutes=50)
    Incident.objects.filter(pk=db_down.pk).update(
        declared_at=fifty_minutes_ago, next_update_due=fifty_minutes_ago + timedelta(minutes=30)
    )
    search = services.incident_declare(
        **common, title="Search results slow in EU", severity=sev2, is_drill=True
    )
    services.incident_post_update(incident=search, actor=rudy, message="Reindexing.")
    return cora


def test_declare_to_close(page, live_server, on_call):
    tab = page
    tab.goto(f"{live_server.url}/")
    assert "/accounts/login/" in tab.url
    shoot(tab, "login")
    tab.fill("#id_username", "cora")
    tab.fill("#id_password", PASSWORD)
    tab.get_by_role("button", name="Log in").click()
    assert tab.locator(".zone").inner_text() == "Times in Europe/Berlin"
    assert tab.locator("table.incidents tbody tr").count() == 2
    assert tab.locator("tr.is-overdue").count() == 1
    shoot(tab, "dashboard")

    # Declare, first without meeting the definition: Beacon asks for confirmation.
    tab.get_by_role("link", name="Declare incident").click()
    tab.fill("#id_title", "Checkout returns 502 for EU customers")
    tab.select_option("#id_incident_type", label="Outage")
    tab.select_option("#id_severity", label="SEV2")
    tab.fill("#id_summary", "Payments fail at the last step in eu-west-1.")
    tab.fill("#id_impact", "About 40% of EU checkouts fail.")
    tab.select_option("#id_services", label="Checkout")
    tab.fill("#id_environments", "production")
    tab.fill("#id_regions", "eu-west-1")
    tab.select_option("#id_commander", label="Cora Diaz")
    tab.select_option("#id_responder", label="Rudy Okafor")
    tab.fill("#id_broadcast_channel", "incidents")
    tab.check("#id_affects_customers")
    tab.check("#id_unplanned")
    tab.get_by_role("button", name="Declare incident").click()
    warning = tab.locator(".confirm-definition")
    assert "does not meet the definition of an incident" in warning.inner_text()
    assert tab.input_value("#id_title") == "Checkout returns 502 for EU customers"
    assert not Incident.objects.filter(title__startswith="Checkout").exists()
    shoot(tab, "declare-definition-warning")
    tab.check("#id_confirm_definition")
    warning.get_by_role("button", name="Declare incident").click()

    incident = Incident.objects.get(title__startswith="Checkout")
    assert tab.url.endswith(f"/incidents/{incident.reference}/")
    assert f"{incident.reference} declared" in tab.locator(".messages").inner_text()
    assert incident.definition_override
    assert "Checkout has no approved playbook." in tab.locator("#playbooks").inner_text()

    tab.get_by_role("button", name="Acknowledge").click()
    assert tab.locator(".incident-head .status").inner_text() == "Investigating"

    tab.fill("#id_update_message", "Rolled back the 14:02 deploy; watching error rates.")
    tab.get_by_role("button", name="Post update").click()
    assert "Rolled back the 14:02 deploy" in tab.locator("#updates").inner_text()

    tab.select_option("#id_status_status", label="Monitoring")
    tab.get_by_role("button", name="Change status").click()
    assert tab.locator(".incident-head .status").inner_text() == "Monitoring"

    # Resolving with unmet required criteria is refused, and the text typed is kept.
    tab.fill("#id_resolve_resolution", "Rolled back the faulty deploy.")
    tab.get_by_role("button", name="Resolve incident").click()
    refusal = tab.locator(".message-error").inner_text()
    assert refusal.startswith(f"Cannot resolve {incident.reference}:")
    assert tab.input_value("#id_resolve_resolution") == "Rolled back the faulty deploy."
    shoot(tab, "incident-resolve-refused")

    for text in ("Error rate back to baseline", "Customers informed"):
        row = tab.locator("li.criterion", has_text=text)
        row.get_by_role("button", name="Mark met").click()
        assert "Met by Cora Diaz" in tab.locator("li.criterion", has_text=text).inner_text()

    tab.fill("#id_resolve_resolution", "Rolled back the faulty deploy.")
    tab.get_by_role("button", name="Resolve incident").click()
    assert tab.locator(".incident-head .status").inner_text() == "Resolved"
    tab.get_by_role("button", name="Close incident").click()
    assert tab.locator(".incident-head .status").inner_text() == "Closed"
    shoot(tab, "incident-closed")

    kinds = tab.locator("#timeline .kind").all_inner_texts()
    # The response plan and the outbox add their own rows (tested in their own modules).
    assert [k for k in kinds if k != "Response plan step"] == [
        "Declared",
        "No approved playbook",
        "Acknowledged",
        "Status update posted",
        "Status changed",
        "Exit criterion met",
        "Exit criterion met",
        "Resolved",
        "Closed",
    ]
    assert Incident.objects.get(pk=incident.pk).status == IncidentStatus.CLOSED

    tab.get_by_role("navigation").get_by_role("link", name="Incidents").click()
    assert tab.locator("table.incidents tbody tr").count() == 3
    tab.select_option("#id_active", label="No")
    tab.get_by_role("button", name="Filter").click()
    assert tab.locator("table.incidents .ref").all_inner_texts() == [incident.reference]
    shoot(tab, "incident-list")

    tab.emulate_media(color_scheme="dark")  # the 3 a.m. look
    tab.goto(f"{live_server.url}/incidents/{incident.reference}/")
    shoot(tab, "incident-dark")
    tab.set_viewport_size({"width": 390, "height": 844})  # on call, on a phone
    tab.goto(f"{live_server.url}/")
    shoot(tab, "dashboard-phone-dark")
