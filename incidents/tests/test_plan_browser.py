"""The Response plan and Notifications panels in headless Chromium: tick off a checklist step
and see its state change. Screenshots land in test-artifacts/ for a person to look at."""

import pytest

from incidents import services
from incidents.models import PlanStepState
from incidents.tests import factories
from incidents.tests.browser import ARTIFACTS, PASSWORD, shoot
from people.models import UserPreference
from response.models import CommunicationMethod, ResponsePlan, ResponsePlanStep
from response.services import response_plan_activate

pytestmark = pytest.mark.browser


@pytest.fixture
def declared(sev1, outage, fake_slack, settings):
    """An incident declared under a plan with two checklist items; its automated steps ran
    when the declaration committed. Then Slack went down: the update failed over to email."""
    settings.BEACON_DELIVERY_BACKOFF_SECONDS = 0  # retries run at once, in-process
    cora = factories.commander(username="cora", first_name="Cora", last_name="Diaz")
    rudy = factories.responder(username="rudy", first_name="Rudy", last_name="Okafor")
    for user in (cora, rudy):
        fake_slack.add_user(f"U{user.pk:04d}", user.username, user.email)
    UserPreference.objects.create(user=cora, time_zone="Europe/Berlin")
    plan = ResponsePlan.objects.create(name="Every incident")
    steps = [
        ("create_channel", ""),
        ("manual", "Open the status page"),
        ("broadcast", ""),
        ("manual", "Tell customer support"),
        ("schedule_reminders", ""),
    ]
    for position, (action, title) in enumerate(steps):
        ResponsePlanStep.objects.create(plan=plan, position=position, action=action, title=title)
    for rank, (channel, target) in enumerate(
        [("slack", "incident_channel"), ("email", "each_person")]
    ):
        CommunicationMethod.objects.create(
            plan=plan, audience="responders", rank=rank, channel=channel, target=target
        )
    response_plan_activate(plan=plan)
    incident = services.incident_declare(
        actor=rudy,
        title="Primary database unreachable",
        incident_type=outage,
        severity=sev1,
        commander=cora,
        responder=rudy,
        affects_customers=True,
        unplanned=True,
        exceeds_one_hour=True,
    )
    fake_slack.set_down(True)
    services.incident_post_update(incident=incident, actor=cora, message="Failing over the DB.")
    return incident


def test_tick_off_a_checklist_step(page, live_server, declared):
    tab = page
    tab.goto(f"{live_server.url}/accounts/login/")
    tab.fill("#id_username", "cora")
    tab.fill("#id_password", PASSWORD)
    tab.get_by_role("button", name="Log in").click()

    tab.goto(f"{live_server.url}/incidents/{declared.reference}/")
    plan = tab.locator("#plan")
    status_page = plan.locator("li.plan-step", has_text="Open the status page")
    assert status_page.locator(".status").inner_text() == "Pending"
    assert "Created the public Slack channel" in plan.inner_text()
    failed_over = tab.locator("#notifications tr.is-failed_over")
    assert failed_over.count() == 1
    assert "Slack" in failed_over.inner_text()
    assert tab.locator("#notifications .delivery-failover").count() == 2  # to Cora and Rudy
    shoot(tab, "incident-plan-pending")

    status_page.get_by_role("button", name="Mark done").click()
    assert "Done: Open the status page." in tab.locator(".messages").inner_text()
    status_page = tab.locator("#plan li.plan-step", has_text="Open the status page")
    assert status_page.locator(".status").inner_text() == "Done"
    assert "Done by Cora Diaz" in status_page.inner_text()
    assert status_page.get_by_role("button", name="Mark done").count() == 0
    support = tab.locator("#plan li.plan-step", has_text="Tell customer support")
    assert support.get_by_role("button", name="Mark done").count() == 1
    step = declared.plan_steps.get(title="Open the status page")
    assert step.state == PlanStepState.DONE and step.done_by.username == "cora"
    shoot(tab, "incident-plan-done")
    for panel in ("plan", "notifications"):
        tab.locator(f"#{panel}").screenshot(path=str(ARTIFACTS / f"{panel}-panel.png"))

    tab.emulate_media(color_scheme="dark")
    tab.set_viewport_size({"width": 390, "height": 844})
    tab.goto(f"{live_server.url}/incidents/{declared.reference}/")
    for panel in ("plan", "notifications"):
        tab.locator(f"#{panel}").screenshot(path=str(ARTIFACTS / f"{panel}-panel-phone-dark.png"))

    tab.goto(f"{live_server.url}/preferences/")
    tab.fill("#id_phone", "0612345678")
    tab.get_by_role("button", name="Save").click()
    assert "Use the international form" in tab.locator(".field.has-error").inner_text()
    shoot(tab, "preferences-phone-refused")
