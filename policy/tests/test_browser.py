"""The Policy page and the declaration's priority suggestion in headless Chromium.

Screenshots land in test-artifacts/ (policy*.png, declare-priority.png) for a person to look at.
"""

import pytest

from incidents.tests import browser, factories
from policy import services as policy_services
from policy.models import PolicyStatus
from policy.tests import factories as pf

pytestmark = pytest.mark.browser


@pytest.fixture
def agreed(sev1, sev2, outage):
    """v1 in force, v2 in review with Platform's sign-off; Pat (Payments) still to sign."""
    w = pf.world()
    sev3 = factories.SeverityFactory(name="SEV3", rank=3)
    sev4 = factories.SeverityFactory(name="SEV4", rank=4)
    severities = [sev1, sev2, sev3, sev4]
    priorities = [factories.PriorityFactory(name=f"P{n}", rank=n) for n in (1, 2, 3, 4)]
    grid = {
        ("high", "high"): 0,
        ("high", "medium"): 1,
        ("high", "low"): 2,
        ("medium", "high"): 1,
        ("medium", "medium"): 2,
        ("medium", "low"): 3,
        ("low", "high"): 2,
        ("low", "medium"): 3,
        ("low", "low"): 3,
    }
    for (impact, urgency), index in grid.items():
        policy_services.priority_matrix_set(
            actor=w.mona, impact=impact, urgency=urgency, priority=priorities[index]
        )
    v1 = pf.draft(
        w.mona,
        severities,
        cadence={"SEV1": 30, "SEV2": 60, "SEV3": 120, "SEV4": 240},
        summary="The first organisation-wide response policy.",
    )
    policy_services.policy_level_set(
        actor=w.mona,
        version=v1,
        severity=sev1,
        ack_target_minutes=5,
        paged_functions=[w.commander_function, w.communications],
        audiences=["responders", "stakeholders", "executives", "customers"],
        expected_people=4,
        inform_leadership=True,
        followup_priority=priorities[0],
    )
    pf.make_effective(v1, w.mona, w.signers)
    v2 = policy_services.policy_draft_create(actor=w.mona, summary="SEV2 updates every 30 minutes.")
    policy_services.policy_level_set(
        actor=w.mona, version=v2, severity=sev2, update_cadence_minutes=30
    )
    policy_services.policy_submit(actor=w.mona, version=v2)
    policy_services.policy_sign_off(
        actor=w.cora, version=v2, team=w.platform, comment="Fine by us."
    )
    return w, v2


def log_in(tab, live_server, username):
    tab.goto(f"{live_server.url}/accounts/login/")
    tab.fill("#id_username", username)
    tab.fill("#id_password", browser.PASSWORD)
    tab.get_by_role("button", name="Log in").click()


def test_a_lead_signs_off_on_the_policy_page(page, live_server, agreed):
    w, v2 = agreed
    tab = page
    log_in(tab, live_server, "pat")
    tab.get_by_role("navigation").get_by_role("link", name="Policy").click()
    assert "In force: version 1" in tab.locator("#effective").inner_text()
    assert "1 of 2 signed" in tab.locator("#v2").inner_text()
    browser.shoot(tab, "policy")

    tab.fill(f"#id_sign_2_{w.payments.pk}_comment", "Agreed for Payments.")
    tab.get_by_role("button", name="Sign off for Payments").click()

    assert "now in force for new incidents" in tab.locator(".messages").inner_text()
    assert "In force: version 2" in tab.locator("#effective").inner_text()
    v2.refresh_from_db()
    assert v2.status == PolicyStatus.EFFECTIVE
    browser.shoot(tab, "policy-signed")
    tab.emulate_media(color_scheme="dark")
    tab.reload()
    browser.shoot(tab, "policy-dark")


def test_the_declaration_shows_the_suggested_priority(page, live_server, agreed):
    tab = page
    log_in(tab, live_server, "cora")
    tab.goto(f"{live_server.url}/incidents/declare/")
    note = tab.locator("#priority-suggestion")
    assert "Give impact and urgency" in note.inner_text()

    tab.select_option("#id_impact_level", label="High")
    tab.select_option("#id_urgency", label="Medium")
    assert note.inner_text() == "The priority matrix suggests P2."
    tab.select_option("#id_priority", label="P1")
    assert note.inner_text() == "The priority matrix suggests P2: say why you chose P1."
    browser.shoot(tab, "declare-priority")
