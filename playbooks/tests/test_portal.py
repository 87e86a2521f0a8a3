"""The portal's playbook pages: coverage, the service page, and every action on it through the
services, including each refusal from the issue's "Bad input" list in the service's words."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm

from incidents.tests.factories import UserFactory
from people.models import UserPreference
from playbooks import services
from playbooks.models import Playbook, PlaybookVersion, Verification, VersionStatus
from playbooks.tests.conftest import editor_user
from playbooks.tests.factories import PlaybookFactory, ServiceFactory

pytestmark = pytest.mark.django_db

COVERAGE = reverse("playbooks:coverage")


def page_of(service):
    return reverse("playbooks:service", args=[service.slug])


def action(version, name):
    return reverse("playbooks:version-action", args=[version.pk, name])


def text(response):
    return response.content.decode()


def snapshot(version):
    version.refresh_from_db()
    return (
        version.status,
        version.content,
        version.approvals.count(),
        version.steps.count(),
        version.verifications.count(),
        version.events.count(),
    )


def verify(version, actor, **extra):
    return services.playbook_version_verify(
        actor=actor, version=version, method="drill", outcome="passed", evidence="Ran it", **extra
    )


@pytest.fixture
def approved(search, submitted, approvers):
    version = submitted(search, content="Restart the **indexer**.\n\n<script>alert(1)</script>")
    return services.playbook_version_approve(actor=approvers[0], version=version, comment="OK")


@pytest.fixture
def reader():
    return UserFactory(username="rita")


# --- Pages ----------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [COVERAGE, "/playbooks/search/"])
def test_anonymous_visitors_are_sent_to_log_in(client, search, url):
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_coverage_page_counts_and_calls_out_the_gaps(
    client, reader, author, approved, checkout, submitted
):
    verify(approved, author)
    submitted(checkout)  # in review, nothing approved
    ServiceFactory(name="Billing", slug="billing", tier=3)  # no playbook at all
    client.force_login(reader)

    response = client.get(COVERAGE)

    assert response.status_code == 200
    assert (response.context["covered"], response.context["total"]) == (1, 3)
    assert [s.slug for s in response.context["without"]] == ["checkout", "billing"]
    rows = {row.service.slug: row for row in response.context["rows"]}
    assert rows["search"].is_covered and rows["search"].days_until_reverification >= 179
    assert rows["checkout"].pending_reviews == 1
    page = text(response)
    assert "1 of 3 services covered" in page
    assert "2 without an approved playbook" in page
    assert "1 version waiting for review." in page
    assert 'aria-current="page">Playbooks</a>' in page


def test_coverage_page_shows_an_expired_verification_plainly(client, reader, author, approved):
    verify(approved, author)
    Verification.objects.filter(version=approved).update(
        verified_at=timezone.now() - timedelta(days=190)  # tier 2: every 180 days
    )
    client.force_login(reader)
    page = text(client.get(COVERAGE))
    assert '<span class="expired">expired 10 days ago</span>' in page
    assert "0 of 2 services covered" in page
    assert "1 approved but not verified or expired" in page


def test_coverage_page_makes_a_constant_number_of_queries(client, reader, author, submitted):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(COVERAGE).status_code == 200
        return len(captured)

    client.force_login(reader)
    one = ServiceFactory(name="One", slug="one")
    verify(services_approved(submitted, one), author)
    first = queries()
    for n in range(4):
        service = ServiceFactory(name=f"More {n}", slug=f"more-{n}")
        verify(services_approved(submitted, service), author)
        submitted(service)
    assert queries() == first


def services_approved(submitted, service):
    approver = editor_user("approver")
    assign_perm("catalog.approve_playbook", approver, service)
    return services.playbook_version_approve(actor=approver, version=submitted(service))


def test_dashboard_shows_how_many_services_are_covered(client, reader, author, approved, checkout):
    verify(approved, author)
    client.force_login(reader)
    page = text(client.get(reverse("portal:dashboard")))
    assert "<strong>1 of 2 services covered</strong>" in page
    assert f'href="{COVERAGE}"' in page


def test_a_service_others_may_not_see_is_absent_and_answers_404(client, reader, search):
    assign_perm("catalog.view_service", UserFactory(username="insider"), search)
    client.force_login(reader)
    assert client.get(page_of(search)).status_code == 404
    assert client.get(COVERAGE).context["total"] == 0


def test_service_page_renders_the_approved_version_safely(client, reader, approved):
    client.force_login(reader)
    response = client.get(page_of(approved.playbook.service))
    assert response.status_code == 200
    page = text(response)
    assert "In force: version 1" in page
    assert "Restart the <strong>indexer</strong>." in page
    assert "<script>" not in page
    assert '<span class="step-text">Roll back</span>' in page
    assert "Errors drop" in page
    assert "Never verified" in page
    # A reader edits nothing.
    assert "New draft…" not in page and "Record verification" not in page


def test_a_version_in_review_shows_its_diff_and_the_reviewers_forms(
    client, approved, submitted, approvers, author
):
    second = submitted(approved.playbook.service, content="Restart the indexer twice.")
    client.force_login(approvers[1])
    page = text(client.get(page_of(approved.playbook.service)))
    assert '<span class="diff-line diff-add">+Restart the indexer twice.</span>' in page
    assert action(second, "approve") in page and action(second, "reject") in page

    client.force_login(author)  # the author sees no buttons for their own version
    page = text(client.get(page_of(approved.playbook.service)))
    assert action(second, "approve") not in page
    assert "someone else approves it" in page


# --- Actions --------------------------------------------------------------------------------


def test_approve_from_the_portal(client, search, submitted, approvers):
    version = submitted(search)
    client.force_login(approvers[0])
    response = client.post(action(version, "approve"), {"comment": "Looks right"}, follow=True)
    assert response.redirect_chain[-1][0] == f"{page_of(search)}#v{version.pk}"
    assert "is approved and now the playbook in force" in text(response)
    version.refresh_from_db()
    assert version.status == VersionStatus.APPROVED
    assert version.approvals.get().comment == "Looks right"


def test_tier_one_approval_says_how_many_more(client, checkout, submitted, approvers):
    version = submitted(checkout)
    client.force_login(approvers[0])
    response = client.post(action(version, "approve"), {}, follow=True)
    assert "it needs 1 more" in text(response)
    assert snapshot(version)[0] == VersionStatus.IN_REVIEW


def test_reject_needs_a_reason_then_the_author_reopens(
    client, search, submitted, approvers, author
):
    version = submitted(search)
    before = snapshot(version)
    client.force_login(approvers[0])

    empty = client.post(action(version, "reject"), {"reason": "  "})
    assert empty.status_code == 400
    assert "Say what has to change." in text(empty)
    assert snapshot(version) == before

    done = client.post(action(version, "reject"), {"reason": "Name the dashboard"}, follow=True)
    assert "was rejected" in text(done)
    version.refresh_from_db()
    assert (version.status, version.rejection_reason) == ("rejected", "Name the dashboard")

    client.force_login(author)
    page = text(client.get(page_of(search)))
    assert "Name the dashboard" in page and action(version, "reopen") in page
    client.post(action(version, "reopen"))
    assert snapshot(version)[0] == VersionStatus.DRAFT


def test_new_draft_from_the_portal_with_steps_as_lines(client, author, approved):
    client.force_login(author)
    playbook = approved.playbook
    response = client.post(
        reverse("playbooks:version-new", args=[playbook.pk]),
        {
            "content": "Page the search on-call.",
            "steps": "Check the dashboard | It is red\n\n"
            "Restart | Green again | kubectl rollout restart deploy/search | https://wiki.example.com/x",
        },
    )
    draft = playbook.versions.get(number=2)
    assert response.status_code == 302
    assert response["Location"] == f"{page_of(playbook.service)}#v{draft.pk}"
    assert (draft.status, draft.author) == ("draft", author)
    assert draft.content == "Page the search on-call."
    steps = list(draft.steps.values_list("text", "expected_outcome", "command", "link"))
    assert steps == [
        ("Check the dashboard", "It is red", "", ""),
        (
            "Restart",
            "Green again",
            "kubectl rollout restart deploy/search",
            "https://wiki.example.com/x",
        ),
    ]


def test_a_bad_step_keeps_the_input_and_stores_nothing(client, author, approved):
    client.force_login(author)
    playbook = approved.playbook
    response = client.post(
        reverse("playbooks:version-new", args=[playbook.pk]),
        {"content": "Keep me", "steps": "Look | fine | | not a url"},
    )
    assert response.status_code == 400
    page = text(response)
    assert "Step 1: Enter a valid URL." in page
    assert "Keep me" in page and "Look | fine | | not a url" in page
    assert playbook.versions.count() == 1


def test_edit_and_submit_a_draft(client, author, search):
    playbook = PlaybookFactory(service=search)
    draft = services.playbook_version_create(actor=author, playbook=playbook, content="", steps=[])
    client.force_login(author)

    empty = client.post(action(draft, "submit"))
    assert empty.status_code == 400
    assert "Write the playbook before submitting it." in text(empty)
    assert snapshot(draft)[0] == VersionStatus.DRAFT

    client.post(action(draft, "edit"), {"content": "Now written", "steps": "Check | ok"})
    draft.refresh_from_db()
    assert draft.content == "Now written" and draft.steps.get().expected_outcome == "ok"

    done = client.post(action(draft, "submit"), follow=True)
    assert "was submitted for review" in text(done)
    assert snapshot(draft)[0] == VersionStatus.IN_REVIEW


def test_a_first_playbook_for_a_service_with_none(client, author, search):
    client.force_login(author)
    page = text(client.get(page_of(search)))
    assert "This service has no playbook" in page and "Write the first playbook" in page
    response = client.post(
        reverse("playbooks:playbook-new", args=[search.slug]),
        {"title": "Search down", "incident_type": "", "content": "Start here", "steps": ""},
    )
    assert response.status_code == 302
    playbook = Playbook.objects.get(service=search)
    assert (playbook.title, playbook.versions.get().content) == ("Search down", "Start here")


def test_record_a_verification_in_the_users_time_zone(client, author, approved):
    UserPreference.objects.create(user=author, time_zone="Europe/Berlin")
    PlaybookVersion.objects.filter(pk=approved.pk).update(
        decided_at=timezone.now() - timedelta(days=30)
    )
    client.force_login(author)
    response = client.post(
        action(approved, "verify"),
        {
            "method": "tabletop",
            "outcome": "passed",
            "verified_at": "2025-01-15T10:30",
            "evidence": "Walked through it",
        },
    )
    # 2025-01-15 is long before the approval: refused, on the form, with the input kept.
    assert response.status_code == 400
    assert "This is before the version was approved." in text(response)
    assert "Walked through it" in text(response) and "2025-01-15T10:30" in text(response)
    assert not approved.verifications.exists()

    berlin = timezone.localtime(timezone.now() - timedelta(days=2), ZoneInfo("Europe/Berlin"))
    berlin = berlin.replace(second=0, microsecond=0)
    response = client.post(
        action(approved, "verify"),
        {
            "method": "tabletop",
            "outcome": "passed",
            "verified_at": berlin.strftime("%Y-%m-%dT%H:%M"),
            "evidence": "Walked through it",
        },
        follow=True,
    )
    assert "Verification of Search playbook v1 recorded." in text(response)
    assert approved.verifications.get().verified_at == berlin  # the wall time was Berlin's
    assert "Worked as written" in text(response)


# --- Bad input: each refused with the service's message, nothing stored changes -------------


def test_approving_ones_own_version(client, search, submitted, author):
    assign_perm("catalog.approve_playbook", author, search)
    version = submitted(search)
    before = snapshot(version)
    client.force_login(author)
    response = client.post(action(version, "approve"), {"comment": "mine"})
    assert response.status_code == 403
    assert "Nobody reviews their own playbook version." in text(response)
    assert snapshot(version) == before


def test_approving_without_the_permission(client, search, submitted):
    version = submitted(search)
    before = snapshot(version)
    client.force_login(editor_user("dan"))
    response = client.post(action(version, "approve"), {})
    assert response.status_code == 403
    assert "You may not review playbooks of Search." in text(response)
    assert snapshot(version) == before


def test_approving_a_draft(client, author, search, approvers):
    draft = services.playbook_version_create(
        actor=author, playbook=PlaybookFactory(service=search), content="x"
    )
    before = snapshot(draft)
    client.force_login(approvers[0])
    response = client.post(action(draft, "approve"), {})
    assert response.status_code == 409
    assert "Search playbook v1 is draft: it cannot be approved." in text(response)
    assert snapshot(draft) == before


def test_editing_an_approved_version(client, author, approved):
    before = snapshot(approved)
    client.force_login(author)
    response = client.post(action(approved, "edit"), {"content": "sneaky", "steps": ""})
    assert response.status_code == 409
    assert "is approved and can no longer change: start a new draft." in text(response)
    assert snapshot(approved) == before


def test_a_second_approval_by_the_same_person(client, checkout, submitted, approvers):
    version = submitted(checkout)
    services.playbook_version_approve(actor=approvers[0], version=version)
    before = snapshot(version)
    client.force_login(approvers[0])
    assert "You approved this version" in text(client.get(page_of(checkout)))
    response = client.post(action(version, "approve"), {})
    assert response.status_code == 409
    assert "You already approved Checkout playbook v1" in text(response)
    assert snapshot(version) == before


def test_verifying_an_unapproved_version(client, author, search, submitted):
    version = submitted(search)
    before = snapshot(version)
    client.force_login(author)
    response = client.post(
        action(version, "verify"), {"method": "drill", "outcome": "passed", "evidence": "x"}
    )
    assert response.status_code == 409
    assert "is in review: it cannot be verified." in text(response)
    assert snapshot(version) == before


def test_state_changes_are_post_only(client, author, approved):
    client.force_login(author)
    assert client.get(action(approved, "verify")).status_code == 405
    assert client.post(action(approved, "explode")).status_code == 404
