"""The playbook pages in headless Chromium: a first playbook written, submitted, approved by
someone else and verified, then the coverage page. Screenshots land in test-artifacts/."""

from datetime import timedelta

import pytest
from django.utils import timezone
from guardian.shortcuts import assign_perm

from incidents.tests.browser import PASSWORD, shoot
from incidents.tests.factories import TeamFactory
from playbooks import services
from playbooks.models import Verification, VersionStatus
from playbooks.tests.conftest import editor_user
from playbooks.tests.factories import PlaybookFactory, ServiceFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def catalogue():
    """Search has nothing yet; Checkout waits for review, Billing's verification expired,
    Ledger has none at all."""
    ada = editor_user("ada")
    ada.first_name, ada.last_name = "Ada", "Lovelace"
    ada.save()
    bea = editor_user("bea")
    bea.first_name, bea.last_name = "Bea", "Arthur"
    bea.save()
    platform, payments = TeamFactory(name="Platform"), TeamFactory(name="Payments")
    search = ServiceFactory(name="Search", slug="search", tier=2, owner_team=platform)
    checkout = ServiceFactory(name="Checkout", slug="checkout", tier=1, owner_team=payments)
    billing = ServiceFactory(name="Billing", slug="billing", tier=2, owner_team=payments)
    ServiceFactory(name="Ledger", slug="ledger", tier=3, owner_team=payments)
    for service in (search, checkout, billing):
        assign_perm("catalog.approve_playbook", bea, service)
    steps = [{"text": "Check the error rate", "expected_outcome": "Below 1%"}]
    for service in (checkout, billing):
        version = services.playbook_version_create(
            actor=ada, playbook=PlaybookFactory(service=service), content="Call ops.", steps=steps
        )
        services.playbook_version_submit(actor=ada, version=version)
    billing_v1 = billing.playbooks.get().versions.get()
    services.playbook_version_approve(actor=bea, version=billing_v1)
    services.playbook_version_verify(
        actor=bea, version=billing_v1, method="drill", outcome="passed", evidence="Drill #4"
    )
    Verification.objects.filter(version=billing_v1).update(
        verified_at=timezone.now() - timedelta(days=200)
    )
    return search


def log_in(tab, url, username):
    tab.goto(url)
    tab.fill("#id_username", username)
    tab.fill("#id_password", PASSWORD)
    tab.get_by_role("button", name="Log in").click()


def test_first_playbook_to_verified(page, live_server, catalogue):
    tab = page
    log_in(tab, f"{live_server.url}/", "ada")
    assert "1 of 4 services covered" not in tab.content()
    assert "0 of 4 services covered" in tab.locator(".playbook-coverage").inner_text()
    tab.get_by_role("link", name="Playbooks").click()
    assert tab.locator("#coverage-count").inner_text() == "0 of 4 services covered"
    shoot(tab, "playbooks-coverage-before")

    # A first playbook for Search, with a bad step first: refused, input kept.
    tab.get_by_role("link", name="Search").first.click()
    tab.fill("#id_pb_title", "Search is down")
    tab.fill("#id_pb_content", "## First\n\nLook at the **search latency** dashboard.")
    tab.fill("#id_pb_steps", "Restart the indexer | Latency drops | | not-a-link")
    tab.get_by_role("button", name="Create playbook and draft").click()
    assert "Step 1: Enter a valid URL." in tab.locator(".errorlist").inner_text()
    assert tab.input_value("#id_pb_title") == "Search is down"
    shoot(tab, "playbooks-new-playbook-refused")
    tab.fill(
        "#id_pb_steps",
        "Restart the indexer | Latency drops | kubectl rollout restart deploy/indexer\n"
        "Tell support | Support acknowledges",
    )
    tab.get_by_role("button", name="Create playbook and draft").click()
    assert "created with its first draft" in tab.locator(".messages").inner_text()
    tab.get_by_role("button", name="Submit for review").click()
    assert "was submitted for review" in tab.locator(".messages").inner_text()
    assert tab.get_by_role("button", name="Approve version 1").count() == 0  # not for the author
    tab.get_by_role("button", name="Log out").click()

    # Bea approves and records a drill.
    log_in(tab, f"{live_server.url}/playbooks/search/", "bea")
    assert tab.locator(".playbook-content h2").inner_text() == "First"
    shoot(tab, "playbooks-service-in-review")
    tab.fill("#id_approve_" + str(_version_pk(catalogue)) + "_comment", "Clear and short")
    tab.get_by_role("button", name="Approve version 1").click()
    assert "approved and now the playbook in force" in tab.locator(".messages").inner_text()
    assert "In force: version 1" in tab.content()
    tab.get_by_text("Record verification…").click()
    tab.select_option("select[name=method]", label="Drill")
    tab.select_option("select[name=outcome]", label="Worked as written")
    tab.fill("textarea[name=evidence]", "Drill on staging: restart took 2 minutes.")
    tab.get_by_role("button", name="Record verification").click()
    assert "Verification of Search is down v1 recorded." in tab.locator(".messages").inner_text()
    assert "Drill on staging" in tab.locator(".verification-list").inner_text()
    shoot(tab, "playbooks-service-approved")

    tab.get_by_role("link", name="Playbooks").click()
    assert tab.locator("#coverage-count").inner_text() == "1 of 4 services covered"
    search_row = tab.locator("tr", has=tab.get_by_role("link", name="Search"))
    assert "yes" in search_row.locator("td").nth(2).inner_text()
    assert "in 179 days" in search_row.inner_text()
    billing_row = tab.locator("tr", has=tab.get_by_role("link", name="Billing"))
    assert "expired 20 days ago" in billing_row.locator(".expired").inner_text()
    assert "Checkout, Ledger" in tab.locator(".coverage-gap").first.inner_text()
    shoot(tab, "playbooks-coverage")
    version = catalogue.playbooks.get().versions.get()
    assert version.status == VersionStatus.APPROVED and version.verifications.count() == 1


def _version_pk(service):
    return service.playbooks.get().versions.get().pk
