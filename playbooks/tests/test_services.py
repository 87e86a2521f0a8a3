from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from guardian.shortcuts import assign_perm

from core.exceptions import TransitionNotAllowed
from core.models import AppendOnlyError
from incidents.tests.factories import UserFactory
from playbooks import selectors, services
from playbooks.models import PlaybookEvent, VersionStatus
from playbooks.tests.conftest import editor_user
from playbooks.tests.factories import PlaybookFactory

pytestmark = pytest.mark.django_db


def kinds(version):
    return list(version.events.order_by("id").values_list("kind", flat=True))


def snapshot(version):
    version.refresh_from_db()
    return (version.status, version.content, version.approvals.count(), version.steps.count())


class TestDrafts:
    def test_new_draft_starts_from_the_approved_version(self, author, search, submitted, approvers):
        first = submitted(search, content="Restart the indexer")
        services.playbook_version_approve(actor=approvers[0], version=first)
        draft = services.playbook_version_create(actor=author, playbook=first.playbook)
        assert (draft.number, draft.content, draft.status) == (2, "Restart the indexer", "draft")
        assert [s.text for s in draft.steps.all()] == ["Roll back"]

    def test_only_drafts_change(self, author, search, submitted):
        version = submitted(search)
        before = snapshot(version)
        with pytest.raises(TransitionNotAllowed, match="can no longer change"):
            services.playbook_version_edit(actor=author, version=version, content="x", steps=[])
        assert snapshot(version) == before

    def test_steps_are_validated(self, author, search):
        playbook = PlaybookFactory(service=search)
        with pytest.raises(ValidationError) as error:
            services.playbook_version_create(
                actor=author,
                playbook=playbook,
                content="x",
                steps=[{"text": ""}, {"text": "ok", "link": "not a url"}],
            )
        assert len(error.value.message_dict["steps"]) == 2
        assert not playbook.versions.exists()

    def test_editing_needs_the_permission(self, search):
        with pytest.raises(PermissionDenied):
            services.playbook_version_create(
                actor=UserFactory(username="nobody"), playbook=PlaybookFactory(service=search)
            )

    def test_empty_version_cannot_be_submitted(self, author, search):
        draft = services.playbook_version_create(
            actor=author, playbook=PlaybookFactory(service=search), content="", steps=[]
        )
        with pytest.raises(ValidationError):
            services.playbook_version_submit(actor=author, version=draft)
        assert snapshot(draft)[0] == VersionStatus.DRAFT


class TestApproval:
    def test_tier_two_needs_one_approval(self, search, submitted, approvers):
        version = submitted(search)
        services.playbook_version_approve(actor=approvers[0], version=version, comment="LGTM")
        assert snapshot(version)[0] == VersionStatus.APPROVED
        assert kinds(version) == ["created", "submitted", "approved", "published"]

    def test_tier_one_needs_two_distinct_approvals(self, checkout, submitted, approvers):
        version = submitted(checkout)
        services.playbook_version_approve(actor=approvers[0], version=version)
        assert snapshot(version)[0] == VersionStatus.IN_REVIEW
        with pytest.raises(TransitionNotAllowed, match="already approved"):
            services.playbook_version_approve(actor=approvers[0], version=version)
        services.playbook_version_approve(actor=approvers[1], version=version)
        assert snapshot(version)[:3] == (VersionStatus.APPROVED, version.content, 2)

    def test_approving_supersedes_the_previous_version(self, search, submitted, approvers):
        first = submitted(search)
        services.playbook_version_approve(actor=approvers[0], version=first)
        second = submitted(search, content="Better")
        services.playbook_version_approve(actor=approvers[1], version=second)
        first.refresh_from_db()
        assert first.status == VersionStatus.SUPERSEDED and first.superseded_at
        assert selectors.approved_version(first.playbook) == second

    def test_the_author_never_approves(self, search, submitted, author):
        assign_perm("catalog.approve_playbook", author, search)
        version = submitted(search)
        before = snapshot(version)
        with pytest.raises(PermissionDenied, match="own"):
            services.playbook_version_approve(actor=author, version=version)
        assert snapshot(version) == before

    def test_approving_needs_the_object_permission(self, search, checkout, submitted):
        only_checkout = editor_user("dee")
        assign_perm("catalog.approve_playbook", only_checkout, checkout)
        version = submitted(search)
        with pytest.raises(PermissionDenied, match="Search"):
            services.playbook_version_approve(actor=only_checkout, version=version)
        assert snapshot(version)[2] == 0

    def test_a_draft_cannot_be_approved(self, author, search, approvers):
        draft = services.playbook_version_create(
            actor=author, playbook=PlaybookFactory(service=search), content="x"
        )
        with pytest.raises(TransitionNotAllowed, match="draft"):
            services.playbook_version_approve(actor=approvers[0], version=draft)

    def test_reject_needs_a_reason_then_reopen_to_draft(self, search, submitted, approvers, author):
        version = submitted(search)
        with pytest.raises(ValidationError):
            services.playbook_version_reject(actor=approvers[0], version=version, reason=" ")
        services.playbook_version_reject(
            actor=approvers[0], version=version, reason="Step 2 is missing"
        )
        assert snapshot(version)[0] == VersionStatus.REJECTED
        services.playbook_version_reopen(actor=author, version=version)
        services.playbook_version_edit(
            actor=author, version=version, content="Fixed", steps=[{"text": "Step 2"}]
        )
        assert snapshot(version)[:2] == (VersionStatus.DRAFT, "Fixed")


class TestVerification:
    def test_only_approved_versions_are_verified(self, search, submitted, author):
        version = submitted(search)
        with pytest.raises(TransitionNotAllowed, match="verified"):
            services.playbook_version_verify(
                actor=author, version=version, method="drill", outcome="passed", evidence="ran it"
            )
        assert not version.verifications.exists()

    def test_verification_keeps_coverage_current_until_it_expires(
        self, search, submitted, approvers, author, settings
    ):
        settings.BEACON_PLAYBOOK_REVERIFY_DAYS_BY_TIER = {1: 30, 2: 60, 3: 90}
        version = submitted(search)
        services.playbook_version_approve(actor=approvers[0], version=version)
        (row,) = [r for r in selectors.coverage() if r.service == search]
        assert row.has_approved and not row.verified_current
        services.playbook_version_verify(
            actor=author,
            version=version,
            method="tabletop",
            outcome="passed",
            evidence="walked through",
        )
        (row,) = [r for r in selectors.coverage() if r.service == search]
        assert row.is_covered and row.days_until_reverification == 59
        version.verifications.update(verified_at=timezone.now() - timedelta(days=61))
        (row,) = [r for r in selectors.coverage() if r.service == search]
        assert not row.verified_current

    def test_a_failed_verification_is_not_current(self, search, submitted, approvers, author):
        version = submitted(search)
        services.playbook_version_approve(actor=approvers[0], version=version)
        services.playbook_version_verify(
            actor=author, version=version, method="drill", outcome="failed", evidence="step 3 broke"
        )
        (row,) = [r for r in selectors.coverage() if r.service == search]
        assert not row.verified_current

    def test_bad_verification_input(self, search, submitted, approvers, author):
        version = submitted(search)
        services.playbook_version_approve(actor=approvers[0], version=version)
        with pytest.raises(ValidationError) as error:
            services.playbook_version_verify(
                actor=author,
                version=version,
                method="guess",
                outcome="maybe",
                evidence="",
                verified_at=timezone.now() + timedelta(days=1),
            )
        assert set(error.value.message_dict) == {"method", "outcome", "evidence", "verified_at"}


def test_coverage_counts_pending_reviews_and_missing_playbooks(search, checkout, submitted):
    submitted(search)
    rows = {row.service.slug: row for row in selectors.coverage()}
    assert rows["search"].pending_reviews == 1 and not rows["search"].has_approved
    assert rows["checkout"].pending_reviews == 0
    assert [row.is_covered for row in rows.values()] == [False, False]


def test_markdown_is_rendered_safely():
    html = selectors.render_markdown("# Title\n<script>alert(1)</script>[x](javascript:alert(1))")
    assert "<h1>Title</h1>" in html
    assert "<script>" not in html and "javascript:" not in html


def test_diff_against_the_approved_version(search, submitted, approvers):
    first = submitted(search, content="Restart the indexer")
    services.playbook_version_approve(actor=approvers[0], version=first)
    second = submitted(search, content="Restart the indexer twice")
    diff = selectors.version_diff(second, first)
    assert "-Restart the indexer" in diff and "+Restart the indexer twice" in diff


def test_events_are_append_only(search, submitted):
    event = submitted(search).events.first()
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert PlaybookEvent.objects.filter(pk=event.pk).exists()


def test_responders_may_write_playbooks_but_not_approve():
    from django.contrib.auth.models import Group

    from incidents import roles

    codenames = set(
        Group.objects.get(name=roles.RESPONDERS).permissions.values_list("codename", flat=True)
    )
    assert {"change_playbook", "add_playbook"} <= codenames
    assert "approve_playbook" not in codenames
