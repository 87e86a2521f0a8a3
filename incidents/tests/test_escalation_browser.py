"""The escalations on the incident page and the unacknowledged incident on the dashboard, in
headless Chromium at desktop and phone width. Screenshots land in test-artifacts/
(escalations-*.png, the panel alone in escalations-panel-*.png,
dashboard-unacknowledged-*.png) for a person to look at."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import Incident
from incidents.services.escalation import incident_escalate
from incidents.tests import browser
from incidents.tests.escalation_setup import escalation_org, sev1_paging_policy
from people.tests.setup import away

pytestmark = pytest.mark.browser
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def log_in(tab, live_server, username):
    tab.goto(f"{live_server.url}/accounts/login/")
    tab.fill("#id_username", username)
    tab.fill("#id_password", browser.PASSWORD)
    tab.get_by_role("button", name="Log in").click()


@pytest.fixture
def silent_sev1(declare, sev1, sev2):
    """A SEV1 declared 12 minutes ago, never acknowledged, its chain run to now; Nina away."""
    org = escalation_org()
    sev1_paging_policy(org, sev1, sev2)
    away(org.nina, reason="sick")
    incident = declare(actor=org.cora, commander=org.cora, severity=sev1, title="Payments down")
    Incident.objects.filter(pk=incident.pk).update(
        declared_at=timezone.now() - timedelta(minutes=12)
    )
    incident_escalate(incident_id=incident.pk, now=timezone.now())
    return incident


@pytest.mark.parametrize("width", WIDTHS)
def test_the_escalations_and_the_unacknowledged_incident_are_visible(
    page, live_server, silent_sev1, width
):
    tab = page
    tab.set_viewport_size(WIDTHS[width])
    log_in(tab, live_server, "erin")
    row = tab.locator("tr.is-unacknowledged")
    assert "Payments down" in row.inner_text()
    assert "Paged: Cora Diaz, Pat Lee" in row.inner_text()
    browser.shoot(tab, f"dashboard-unacknowledged-{width}")

    tab.goto(f"{live_server.url}/incidents/{silent_sev1.reference}/")
    panel = tab.locator("#escalations")
    assert panel.is_visible()
    text = panel.inner_text()
    assert "Reached round 1, stage 4." in text
    assert "skipped Nina Park, who is unavailable (sick)" in text
    assert "Next: the executive" in text
    browser.shoot(tab, f"escalations-{width}")
    panel.screenshot(path=str(browser.ARTIFACTS / f"escalations-panel-{width}.png"))
