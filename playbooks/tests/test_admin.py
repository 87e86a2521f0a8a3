"""The playbooks admin: pages, guardian's object-permission pages, the version pages and actions
driven through the services (every refusal of the issue's "Bad input" in the service's words,
nothing changed), the approve/reject buttons, and the coverage report."""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.auth.models import Permission
from django.contrib.messages import ERROR, SUCCESS
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm

from catalog.models import CatalogEvent, Service
from playbooks import services
from playbooks.models import (
    Playbook,
    PlaybookEvent,
    PlaybookVersion,
    Verification,
    VersionStatus,
)
from playbooks.tests.conftest import editor_user
from playbooks.tests.factories import PlaybookFactory, ServiceFactory
from response.models import ResponsePlan, ResponsePlanEvent

pytestmark = pytest.mark.django_db

VERSIONS = reverse("admin:playbooks_playbookversion_changelist")
SERVICES = reverse("admin:catalog_service_changelist")
COVERAGE = reverse("admin:catalog_service_coverage")


def version_url(version, view="change"):
    return reverse(f"admin:playbooks_playbookversion_{view}", args=[version.pk])


def sent(response, level=None):
    return [m.message for m in response.context["messages"] if level is None or m.level == level]


def act(client, action, *versions, **data):
    payload = {"action": action, helpers.ACTION_CHECKBOX_NAME: [v.pk for v in versions]}
    if data:
        payload.update(data, apply="1")
    return client.post(VERSIONS, payload, follow=True)


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


def staff(user):
    user.is_staff = True
    user.save()
    return user


def login(client, user):
    client.force_login(staff(user))
    return client


@pytest.fixture
def as_author(client, author):
    return login(client, author)


@pytest.fixture
def bea(approvers):
    return staff(approvers[0])


@pytest.fixture
def cy(approvers):
    return staff(approvers[1])


@pytest.fixture
def as_bea(client, bea):
    return login(client, bea)


def approve(version, *people):
    for person in people:
        services.playbook_version_approve(actor=person, version=version)
    version.refresh_from_db()
    return version


def management(response):
    """The management forms of a change page's inlines, as a browser posts them back."""
    data = {}
    for inline in response.context["inline_admin_formsets"]:
        form = inline.formset.management_form
        for name in form.fields:
            data[form.add_prefix(name)] = form[name].value()
    return data


def steps_data(*steps, initial=0, prefix="steps"):
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(steps)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, step in enumerate(steps):
        for field, value in step.items():
            data[f"{prefix}-{i}-{field}"] = value
    return data


# --- Every page renders ---------------------------------------------------------------------

SMOKED = {Service, Playbook, PlaybookVersion}
SMOKED_ELSEWHERE = {
    CatalogEvent,  # catalog/tests/test_services.py
    ResponsePlan,  # response/tests/test_admin.py
    ResponsePlanEvent,  # response/tests/test_plan_delete.py
}


def test_every_registered_model_is_smoke_tested():
    registered = {
        m for m in admin.site._registry if m._meta.app_label in {"playbooks", "catalog", "response"}
    }
    assert registered == SMOKED | SMOKED_ELSEWHERE


@pytest.mark.parametrize("model", sorted(SMOKED, key=lambda m: m.__name__))
def test_admin_pages_render(admin_client, search, submitted, approvers, model):
    version = approve(submitted(search), approvers[0])
    obj = {Service: search, Playbook: version.playbook, PlaybookVersion: version}[model]
    info = model._meta.app_label, model._meta.model_name
    for url in (
        reverse("admin:{}_{}_changelist".format(*info)),
        reverse("admin:{}_{}_add".format(*info)),
        reverse("admin:{}_{}_change".format(*info), args=[obj.pk]),
    ):
        assert admin_client.get(url).status_code == 200, url


# --- Services: the list, the object-permission pages ----------------------------------------


def test_service_changelist_shows_coverage(admin_client, search, checkout, submitted, approvers):
    approve(submitted(search), approvers[0])
    response = admin_client.get(SERVICES)
    assert response.status_code == 200
    rows = {s.slug: s for s in response.context["cl"].result_list}
    model_admin = response.context["cl"].model_admin
    assert model_admin.has_approved_playbook(rows["search"]) is True
    assert model_admin.verified_and_current(rows["search"]) is False
    assert model_admin.has_approved_playbook(rows["checkout"]) is False
    assert COVERAGE in response.content.decode()


def test_service_changelist_query_count_is_constant(admin_client, submitted, approvers):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(SERVICES).status_code == 200
        return len(queries)

    first = ServiceFactory(name="S0", slug="s0")
    assign_perm("catalog.approve_playbook", approvers[0], first)
    approve(submitted(first), approvers[0])
    one = count()
    for n in range(1, 5):
        service = ServiceFactory(name=f"S{n}", slug=f"s{n}")
        assign_perm("catalog.approve_playbook", approvers[0], service)
        approve(submitted(service), approvers[0])
    assert count() == one


def permissions_url(service, user=None):
    if user is None:
        return reverse("admin:catalog_service_permissions", args=[service.pk])
    return reverse("admin:catalog_service_permissions_manage_user", args=[service.pk, user.pk])


def test_object_permissions_page_is_for_superusers(admin_client, client, search, author):
    assert admin_client.get(permissions_url(search)).status_code == 200
    assert (
        "Object permissions"
        in admin_client.get(
            reverse("admin:catalog_service_change", args=[search.pk])
        ).content.decode()
    )

    login(client, author)  # staff, may edit playbooks, not services
    author.user_permissions.add(Permission.objects.get(codename="view_service"))
    assert client.get(permissions_url(search)).status_code == 403
    assert client.get(permissions_url(search, author)).status_code == 403
    granted = client.post(permissions_url(search, author), {"permissions": ["approve_playbook"]})
    assert granted.status_code == 403
    assert not author.has_perm("catalog.approve_playbook", search)
    page = client.get(reverse("admin:catalog_service_change", args=[search.pk]))
    assert page.status_code == 200
    assert permissions_url(search) not in page.content.decode()


def test_service_managers_may_open_the_permissions_page(client, search):
    manager = editor_user("max")
    manager.user_permissions.add(Permission.objects.get(codename="change_service"))
    login(client, manager)
    assert client.get(permissions_url(search)).status_code == 200


def test_object_level_change_permission_is_checked(client, search, checkout):
    owner = editor_user("olga")
    assign_perm("catalog.change_service", owner, search)
    login(client, owner)
    page = client.get(reverse("admin:catalog_service_change", args=[search.pk]))
    assert page.status_code == 200 and page.context["has_change_permission"]
    other = client.get(reverse("admin:catalog_service_change", args=[checkout.pk]))
    assert other.status_code == 403
    assert client.get(permissions_url(search)).status_code == 403


def test_granting_approve_playbook_on_the_permissions_page(admin_client, client, search, submitted):
    version = submitted(search)
    dan = staff(editor_user("dan"))

    chosen = admin_client.post(permissions_url(search), {"user": "dan", "submit_manage_user": "1"})
    assert chosen.status_code == 302 and chosen.url == permissions_url(search, dan)
    saved = admin_client.post(permissions_url(search, dan), {"permissions": ["approve_playbook"]})
    assert saved.status_code == 302
    assert dan.has_perm("catalog.approve_playbook", search)

    login(client, dan)
    response = act(client, "approve", version, comment="Checked")
    assert sent(response, ERROR) == []
    version.refresh_from_db()
    assert version.status == VersionStatus.APPROVED
    assert version.approvals.get().comment == "Checked"


# --- Versions: list, add, edit --------------------------------------------------------------


def test_version_changelist_shows_approvals_and_verification(
    admin_client, checkout, search, submitted, approvers, author
):
    half = approve(submitted(checkout), approvers[0])
    done = approve(submitted(search), approvers[0])
    services.playbook_version_verify(
        actor=author, version=done, method="drill", outcome="passed", evidence="Ran it"
    )
    response = admin_client.get(VERSIONS)
    model_admin = response.context["cl"].model_admin
    rows = {v.pk: v for v in response.context["cl"].result_list}
    assert model_admin.approval_progress(rows[half.pk]) == "1 of 2"
    assert model_admin.approval_progress(rows[done.pk]) == "1 of 1"
    assert model_admin.verified(rows[done.pk]) is True
    assert model_admin.verified(rows[half.pk]) is None
    assert "1 of 2" in response.content.decode()

    tier1 = admin_client.get(VERSIONS, {"tier": "1"})
    assert [v.pk for v in tier1.context["cl"].result_list] == [half.pk]
    in_review = admin_client.get(VERSIONS, {"status__exact": "in_review"})
    assert [v.pk for v in in_review.context["cl"].result_list] == [half.pk]


def test_add_creates_a_draft_through_the_service(as_author, author, search):
    playbook = PlaybookFactory(service=search)
    response = as_author.post(
        reverse("admin:playbooks_playbookversion_add"),
        {
            "playbook": playbook.pk,
            "content": "# Search down\nRestart the indexer.",
            **steps_data(
                {"position": "2", "text": "Check the queue", "expected_outcome": "Empty"},
                {"position": "1", "text": "Restart", "command": "kubectl rollout restart"},
                {"text": ""},
            ),
        },
    )
    version = playbook.versions.get()
    assert response.status_code == 302 and response.url == version_url(version)
    assert (version.number, version.status, version.author) == (1, "draft", author)
    assert [s.text for s in version.steps.all()] == ["Restart", "Check the queue"]
    assert list(version.events.values_list("kind", flat=True)) == ["created"]


def test_add_without_content_starts_from_the_approved_version(
    as_author, search, submitted, approvers
):
    first = approve(submitted(search, content="Restart the indexer"), approvers[0])
    response = as_author.post(
        reverse("admin:playbooks_playbookversion_add"),
        {"playbook": first.playbook.pk, "content": "", **steps_data()},
    )
    assert response.status_code == 302
    draft = first.playbook.versions.get(number=2)
    assert draft.content == "Restart the indexer"
    assert [s.text for s in draft.steps.all()] == ["Roll back"]


def test_only_editors_add_versions(client, search):
    reviewer = staff(editor_user("rev"))
    reviewer.user_permissions.remove(Permission.objects.get(codename="change_playbook"))
    reviewer.user_permissions.add(Permission.objects.get(codename="add_playbookversion"))
    login(client, reviewer)
    response = client.get(reverse("admin:playbooks_playbookversion_add"))
    assert response.status_code == 403  # only editors add versions, as the services say


def test_a_draft_is_edited_through_the_service(as_author, author):
    search = ServiceFactory(name="Search", slug="search")
    playbook = PlaybookFactory(service=search)
    draft = services.playbook_version_create(
        actor=author, playbook=playbook, content="Old", steps=[{"text": "One"}]
    )
    page = as_author.get(version_url(draft))
    assert page.status_code == 200
    step = draft.steps.get()
    response = as_author.post(
        version_url(draft),
        {
            **management(page),
            "content": "New **content**",
            **steps_data(
                {"id": str(step.pk), "position": "1", "text": "One, changed"},
                {"position": "", "text": "Two", "link": "https://runbooks.example/two"},
                initial=1,
            ),
            "_continue": "1",
        },
    )
    assert response.status_code == 302, response.context["errors"]
    draft.refresh_from_db()
    assert draft.content == "New **content**"
    assert [(s.position, s.text) for s in draft.steps.all()] == [(1, "One, changed"), (2, "Two")]
    assert list(draft.events.values_list("kind", flat=True)) == ["created", "edited"]


def test_editing_an_approved_version_is_refused(as_author, search, submitted, approvers):
    version = approve(submitted(search), approvers[0])
    before = snapshot(version)
    page = as_author.get(version_url(version))
    assert page.status_code == 200
    assert not page.context["adminform"].form.fields  # everything read-only
    assert 'name="_save"' not in page.content.decode()

    response = as_author.post(version_url(version), {"content": "Sneaky"})
    assert response.status_code == 200
    assert "is approved and can no longer change: start a new draft." in response.content.decode()
    assert snapshot(version) == before


def test_change_page_shows_preview_diff_and_records(
    admin_client, author, search, submitted, approvers
):
    first = approve(submitted(search, content="Restart the indexer"), approvers[0])
    services.playbook_version_verify(
        actor=author, version=first, method="tabletop", outcome="passed", evidence="Walked it"
    )
    second = submitted(search, content="# Title\n<script>alert(1)</script>Restart **both**")
    response = admin_client.get(version_url(second))
    html = response.content.decode()
    assert "<h1>Title</h1>" in html and "<strong>both</strong>" in html
    assert "<script>alert(1)" not in html
    assert '<pre class="playbook-diff">' in html
    assert "-Restart the indexer" in html
    assert "submitted" in [
        e.kind for e in response.context["inline_admin_formsets"][-1].formset.queryset
    ]
    assert version_url(second, "approve") in html  # the buttons, while in review

    first_page = admin_client.get(version_url(first)).content.decode()
    assert "Walked it" in first_page and "This is the approved version." in first_page
    assert version_url(first, "approve") not in first_page


# --- Actions --------------------------------------------------------------------------------


def test_submit_action(as_author, author, search):
    draft = services.playbook_version_create(
        actor=author, playbook=PlaybookFactory(service=search), content="Do it"
    )
    response = act(as_author, "submit", draft)
    assert sent(response, ERROR) == []
    assert sent(response, SUCCESS) == [f"Submitted 1 version for review: {draft}."]
    draft.refresh_from_db()
    assert draft.status == VersionStatus.IN_REVIEW


def test_approve_action_asks_for_a_comment_then_approves(as_bea, bea, search, submitted):
    version = submitted(search)
    page = as_bea.post(VERSIONS, {"action": "approve", helpers.ACTION_CHECKBOX_NAME: [version.pk]})
    assert page.status_code == 200 and "comment" in page.context["form"].fields
    assert snapshot(version)[0] == VersionStatus.IN_REVIEW

    response = act(as_bea, "approve", version, comment="Looks right")
    assert sent(response, ERROR) == []
    assert f"{version} is now the approved version." in sent(response, SUCCESS)
    version.refresh_from_db()
    assert version.status == VersionStatus.APPROVED
    assert version.approvals.get().approver == bea


def test_tier_one_needs_two_approvals_through_the_admin(client, checkout, submitted, bea, cy):
    version = submitted(checkout)
    first = act(login(client, bea), "approve", version, comment="")
    assert f"{version} has 1 of 2 approvals." in sent(first, SUCCESS)
    assert snapshot(version)[0] == VersionStatus.IN_REVIEW

    second = act(login(client, cy), "approve", version, comment="")
    assert f"{version} is now the approved version." in sent(second, SUCCESS)
    assert snapshot(version)[:3] == (VersionStatus.APPROVED, version.content, 2)


def test_reject_then_reopen(as_bea, client, author, search, submitted):
    version = submitted(search)
    response = act(as_bea, "reject", version, reason="Add the rollback command")
    assert sent(response, ERROR) == []
    version.refresh_from_db()
    assert (version.status, version.rejection_reason) == ("rejected", "Add the rollback command")

    reopened = act(login(client, author), "reopen", version)
    assert sent(reopened, SUCCESS) == [f"Reopened 1 version as a draft: {version}."]
    assert snapshot(version)[0] == VersionStatus.DRAFT


def test_verify_action(as_author, search, submitted, approvers):
    version = approve(submitted(search), approvers[0])
    PlaybookVersion.objects.filter(pk=version.pk).update(
        decided_at=timezone.now() - timedelta(days=1)
    )
    page = as_author.post(
        VERSIONS, {"action": "verify", helpers.ACTION_CHECKBOX_NAME: [version.pk]}
    )
    assert set(page.context["form"].fields) == {"method", "outcome", "evidence", "verified_at"}
    when = timezone.localtime() - timedelta(minutes=1)
    response = act(
        as_author,
        "verify",
        version,
        method="drill",
        outcome="passed",
        evidence="Failed over in staging",
        verified_at_0=when.strftime("%Y-%m-%d"),
        verified_at_1=when.strftime("%H:%M:%S"),
    )
    assert sent(response, ERROR) == []
    assert sent(response, SUCCESS) == [f"Recorded a verification of 1 version: {version}."]
    verification = Verification.objects.get()
    assert (verification.method, verification.evidence) == ("drill", "Failed over in staging")
    assert abs(verification.verified_at - when) < timedelta(seconds=1)


# --- Refusals: the service's words, nothing changed ------------------------------------------


def refused(response, version, before, message):
    errors = sent(response, ERROR)
    assert any(message in error for error in errors), errors
    assert sent(response, SUCCESS) == []
    assert snapshot(version) == before


def test_approving_ones_own_version(as_author, author, search, submitted):
    assign_perm("catalog.approve_playbook", author, search)
    version = submitted(search)
    before = snapshot(version)
    response = act(as_author, "approve", version, comment="Mine")
    refused(response, version, before, "Nobody reviews their own playbook version.")


def test_approving_without_the_permission(client, search, checkout, submitted):
    only_checkout = staff(editor_user("cleo"))
    assign_perm("catalog.approve_playbook", only_checkout, checkout)
    version = submitted(search)
    before = snapshot(version)
    response = act(login(client, only_checkout), "approve", version, comment="")
    refused(response, version, before, "You may not review playbooks of Search.")


def test_approving_a_draft(as_bea, author, search):
    draft = services.playbook_version_create(
        actor=author, playbook=PlaybookFactory(service=search), content="Do it"
    )
    before = snapshot(draft)
    response = act(as_bea, "approve", draft, comment="")
    refused(response, draft, before, f"{draft} is draft: it cannot be approved.")


def test_a_second_approval_by_the_same_person(as_bea, bea, checkout, submitted):
    version = approve(submitted(checkout), bea)
    before = snapshot(version)
    response = act(as_bea, "approve", version, comment="Again")
    refused(response, version, before, "You already approved")


def test_verifying_an_unapproved_version(as_author, search, submitted):
    version = submitted(search)
    before = snapshot(version)
    response = act(
        as_author, "verify", version, method="drill", outcome="passed", evidence="Ran it"
    )
    refused(response, version, before, f"{version} is in review: it cannot be verified.")


def test_rejecting_without_a_reason(as_bea, search, submitted):
    version = submitted(search)
    before = snapshot(version)
    response = act(as_bea, "reject", version, reason="  ")
    refused(response, version, before, "Say what has to change.")


def test_one_refusal_does_not_stop_the_others(as_bea, author, search, submitted):
    version = submitted(search)
    draft = services.playbook_version_create(
        actor=author, playbook=PlaybookFactory(service=ServiceFactory(slug="x", name="X"))
    )
    response = act(as_bea, "approve", version, draft, comment="")
    assert any("is draft" in error for error in sent(response, ERROR))
    assert snapshot(version)[0] == VersionStatus.APPROVED


# --- The approve and reject buttons ---------------------------------------------------------


def test_approve_button(as_bea, bea, search, submitted):
    version = submitted(search)
    page = as_bea.get(version_url(version))
    assert version_url(version, "approve") in page.content.decode()
    form = as_bea.get(version_url(version, "approve"))
    assert form.status_code == 200 and "comment" in form.context["form"].fields

    response = as_bea.post(version_url(version, "approve"), {"comment": "Fine"}, follow=True)
    assert response.redirect_chain[-1][0] == version_url(version)
    assert f"{version} is now the approved version." in sent(response, SUCCESS)
    version.refresh_from_db()
    assert version.status == VersionStatus.APPROVED
    assert version.approvals.get().comment == "Fine"


def test_reject_button_needs_a_reason(as_bea, search, submitted):
    version = submitted(search)
    before = snapshot(version)
    response = as_bea.post(version_url(version, "reject"), {"reason": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["reason"] == ["Say what has to change."]
    assert snapshot(version) == before

    done = as_bea.post(version_url(version, "reject"), {"reason": "Too vague"}, follow=True)
    assert sent(done, SUCCESS) == [f"Rejected {version}."]
    assert snapshot(version)[0] == VersionStatus.REJECTED


def test_buttons_refuse_in_the_services_words(as_author, author, search, submitted):
    assign_perm("catalog.approve_playbook", author, search)
    version = submitted(search)
    before = snapshot(version)
    response = as_author.post(version_url(version, "approve"), {"comment": ""}, follow=True)
    assert sent(response, ERROR) == [f"{version}: Nobody reviews their own playbook version."]
    assert snapshot(version) == before


def test_reviewers_see_versions_but_not_edit(client, search, submitted):
    reviewer = staff(editor_user("rita"))
    reviewer.user_permissions.clear()
    assign_perm("catalog.approve_playbook", reviewer, search)
    version = submitted(search)
    login(client, reviewer)
    changelist = client.get(VERSIONS)
    assert changelist.status_code == 200
    actions = dict(changelist.context["action_form"].fields["action"].choices)
    assert {"approve", "reject"} <= set(actions) and "submit" not in actions
    assert client.get(version_url(version)).status_code == 200
    assert client.post(version_url(version), {}).status_code == 403
    assert client.get(reverse("admin:playbooks_playbookversion_add")).status_code == 403


# --- Coverage -------------------------------------------------------------------------------


def test_coverage_page(admin_client, author, checkout, search, submitted, approvers):
    covered = approve(submitted(checkout), *approvers)
    services.playbook_version_verify(
        actor=author, version=covered, method="drill", outcome="passed", evidence="Ran it"
    )
    approve(submitted(search), approvers[0])
    submitted(search)  # a second version, pending review
    ServiceFactory(name="Billing", slug="billing", tier=3)
    ServiceFactory(name="Legacy", slug="legacy", is_active=False)

    response = admin_client.get(COVERAGE)
    assert response.status_code == 200
    assert (response.context["covered"], response.context["total"]) == (1, 3)
    html = response.content.decode()
    assert "1 of 3 services covered" in html
    rows = {row.service.slug: row for row in response.context["rows"]}
    assert set(rows) == {"checkout", "search", "billing"}
    assert (rows["checkout"].has_approved, rows["checkout"].verified_current) == (True, True)
    assert rows["checkout"].days_until_reverification in (89, 90)
    assert (rows["search"].has_approved, rows["search"].verified_current) == (True, False)
    assert rows["search"].pending_reviews == 1
    assert rows["billing"].has_approved is False

    index = admin_client.get(reverse("admin:index")).content.decode()
    assert COVERAGE in index


def test_coverage_page_needs_the_view_permission(client, author):
    login(client, author)
    assert client.get(COVERAGE).status_code == 403


def test_events_are_recorded_for_admin_actions(as_bea, search, submitted):
    version = submitted(search)
    act(as_bea, "approve", version, comment="ok")
    kinds = list(PlaybookEvent.objects.filter(version=version).values_list("kind", flat=True))
    assert kinds == ["created", "submitted", "approved", "published"]
