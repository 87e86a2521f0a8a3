"""The playbooks API: who may do what to a version in which state, what each refusal answers and
that it changes nothing, the coverage report, restricted services, and list query counts."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from guardian.shortcuts import assign_perm
from rest_framework.test import APIClient

from catalog.models import Service
from incidents.tests.factories import IncidentTypeFactory, TeamFactory, UserFactory
from playbooks import services
from playbooks.models import (
    Playbook,
    PlaybookApproval,
    PlaybookEvent,
    PlaybookStep,
    PlaybookVersion,
    Verification,
    VersionStatus,
)
from playbooks.tests.conftest import editor_user
from playbooks.tests.factories import PlaybookFactory, ServiceFactory

pytestmark = pytest.mark.django_db

SERVICES = "/api/v1/services/"
PLAYBOOKS = "/api/v1/playbooks/"
VERSIONS = "/api/v1/playbook-versions/"
COVERAGE = "/api/v1/playbooks/coverage/"
STEPS = [{"text": "Roll back", "expected_outcome": "Errors drop", "command": "deploy rollback"}]


def client_for(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def grant(user, codename):
    user.user_permissions.add(
        Permission.objects.get(
            codename=codename, content_type__app_label__in=["catalog", "playbooks"]
        )
    )
    return type(user).objects.get(pk=user.pk)  # without the cached permissions


def snapshot():
    """What a refused request must leave untouched."""
    return (
        list(
            PlaybookVersion.objects.order_by("pk").values_list(
                "pk", "status", "content", "submitted_at", "decided_at", "rejection_reason"
            )
        ),
        list(PlaybookStep.objects.order_by("pk").values_list("pk", "text")),
        PlaybookApproval.objects.count(),
        PlaybookEvent.objects.count(),
        Verification.objects.count(),
        Playbook.objects.count(),
        list(Service.objects.order_by("pk").values_list("pk", "slug", "tier", "is_active")),
    )


def put_in(version, state, *, author, reviewer):
    """Move `version` (a draft) into `state` through the services."""
    if state == "draft":
        return version
    services.playbook_version_submit(actor=author, version=version)
    if state == "approved":
        services.playbook_version_approve(actor=reviewer, version=version)
    elif state == "rejected":
        services.playbook_version_reject(actor=reviewer, version=version, reason="Too vague")
    version.refresh_from_db()
    return version


@pytest.fixture
def reviewer(search):
    """Approves on Search; not part of the matrix."""
    person = UserFactory(username="rev")
    assign_perm("catalog.approve_playbook", person, search)
    return person


@pytest.fixture
def draft(author, search):
    playbook = PlaybookFactory(service=search, title="Search is down")
    return services.playbook_version_create(
        actor=author, playbook=playbook, content="1. Check the dashboard", steps=STEPS
    )


# --- Who may do what ------------------------------------------------------------------------

# action: (method, path, body, state the draft is put in first)
ACTIONS = {
    "create": ("post", "", {"content": "Another take", "steps": STEPS}, "draft"),
    "edit": ("patch", "{id}/", {"content": "Edited"}, "draft"),
    "submit": ("post", "{id}/submit/", {}, "draft"),
    "approve": ("post", "{id}/approve/", {"comment": "Looks right"}, "in_review"),
    "reject": ("post", "{id}/reject/", {"reason": "Step 2 is missing"}, "in_review"),
    "reopen": ("post", "{id}/reopen/", {}, "rejected"),
    "verify": (
        "post",
        "{id}/verify/",
        {"method": "drill", "outcome": "passed", "evidence": "Ran it on staging"},
        "approved",
    ),
}
# plain: signed in, no permission; editor: change_playbook; approver: approve_playbook on Search
# only; other_approver: approve_playbook on Billing; author: wrote the version, is an editor and
# holds approve_playbook on Search too.
EXPECTED = {
    "anonymous": (401, 401, 401, 401, 401, 401, 401),
    "plain": (403, 403, 403, 403, 403, 403, 403),
    "editor": (201, 200, 200, 403, 403, 200, 200),
    "approver": (403, 403, 403, 200, 200, 403, 403),
    "other_approver": (403, 403, 403, 403, 403, 403, 403),
    "author": (201, 200, 200, 403, 403, 200, 200),
}
ROLE_MATRIX = [
    pytest.param(role, action, code, id=f"{role}-{action}-{code}")
    for role, codes in EXPECTED.items()
    for action, code in zip(ACTIONS, codes, strict=True)
]


def user_in_role(role, author, search):
    if role == "anonymous":
        return None
    if role == "plain":
        return UserFactory(username="pat")
    if role == "editor":
        return editor_user("ed")
    if role == "approver":
        person = UserFactory(username="amy")
        assign_perm("catalog.approve_playbook", person, search)
        return person
    if role == "other_approver":
        person = UserFactory(username="oscar")
        assign_perm("catalog.approve_playbook", person, ServiceFactory(name="Billing"))
        return person
    assign_perm("catalog.approve_playbook", author, search)
    return author


@pytest.mark.parametrize("role, action, expected", ROLE_MATRIX)
def test_permission_matrix(role, action, expected, author, search, reviewer, draft):
    method, path, body, state = ACTIONS[action]
    version = put_in(draft, state, author=author, reviewer=reviewer)
    if action == "create":
        body = {**body, "playbook": version.playbook_id}
    user = user_in_role(role, author, search)
    before = snapshot()

    response = getattr(client_for(user), method)(
        VERSIONS + path.format(id=version.pk), body, format="json"
    )

    assert response.status_code == expected, response.content
    if expected >= 400:
        assert snapshot() == before
    else:
        assert response.json()["id"]


# The entitled actor for each action in each state: what the version's status allows.
STATE_EXPECTED = {
    "edit": ("author", (200, 409, 409, 409)),
    "submit": ("author", (200, 409, 409, 409)),
    "approve": ("reviewer", (409, 200, 409, 409)),
    "reject": ("reviewer", (409, 200, 409, 409)),
    "reopen": ("author", (409, 409, 409, 200)),
    "verify": ("author", (409, 409, 200, 409)),
}
STATES = ("draft", "in_review", "approved", "rejected")
STATE_MATRIX = [
    pytest.param(action, state, code, id=f"{action}-{state}-{code}")
    for action, (_actor, codes) in STATE_EXPECTED.items()
    for state, code in zip(STATES, codes, strict=True)
]


@pytest.mark.parametrize("action, state, expected", STATE_MATRIX)
def test_status_matrix(action, state, expected, author, reviewer, draft):
    method, path, body, _state = ACTIONS[action]
    version = put_in(draft, state, author=author, reviewer=reviewer)
    actor = {"author": author, "reviewer": reviewer}[STATE_EXPECTED[action][0]]
    before = snapshot()

    response = getattr(client_for(actor), method)(
        VERSIONS + path.format(id=version.pk), body, format="json"
    )

    assert response.status_code == expected, response.content
    if expected == 409:
        assert response.json()["detail"]
        assert snapshot() == before


# --- Bad input: refused with a clear message, nothing stored changes -------------------------


def refused(user, path, body=None, method="post"):
    before = snapshot()
    response = getattr(client_for(user), method)(VERSIONS + path, body or {}, format="json")
    assert snapshot() == before
    return response.status_code, response.json()


def test_approving_ones_own_version(author, search, reviewer, draft):
    assign_perm("catalog.approve_playbook", author, search)
    put_in(draft, "in_review", author=author, reviewer=reviewer)
    assert refused(author, f"{draft.pk}/approve/") == (
        403,
        {"detail": "Nobody reviews their own playbook version."},
    )


def test_approving_without_the_permission(author, search, reviewer, draft, approvers):
    put_in(draft, "in_review", author=author, reviewer=reviewer)
    editor = editor_user("ed")
    assign_perm("catalog.approve_playbook", editor, ServiceFactory(name="Billing"))
    assert refused(editor, f"{draft.pk}/approve/") == (
        403,
        {"detail": "You may not review playbooks of Search."},
    )


def test_approving_a_draft(reviewer, draft):
    assert refused(reviewer, f"{draft.pk}/approve/") == (
        409,
        {"detail": "Search is down v1 is draft: it cannot be approved."},
    )


@pytest.mark.parametrize("method", ["patch", "put"])
def test_editing_an_approved_version(method, author, reviewer, draft):
    put_in(draft, "approved", author=author, reviewer=reviewer)
    body = {"content": "Sneaky change", "steps": []}
    assert refused(author, f"{draft.pk}/", body, method=method) == (
        409,
        {"detail": "Search is down v1 is approved and can no longer change: start a new draft."},
    )


def test_a_second_approval_by_the_same_person(author, checkout, approvers, submitted):
    version = submitted(checkout)
    client_for(approvers[0]).post(f"{VERSIONS}{version.pk}/approve/", {}, format="json")
    status_code, body = refused(approvers[0], f"{version.pk}/approve/")
    assert status_code == 409
    assert body == {
        "detail": f"You already approved {version}; it needs another person's approval."
    }


def test_verifying_an_unapproved_version(author, reviewer, draft):
    put_in(draft, "in_review", author=author, reviewer=reviewer)
    body = {"method": "drill", "outcome": "passed", "evidence": "Ran it"}
    assert refused(author, f"{draft.pk}/verify/", body) == (
        409,
        {"detail": "Search is down v1 is in review: it cannot be verified."},
    )


def test_rejecting_without_a_reason(author, reviewer, draft):
    put_in(draft, "in_review", author=author, reviewer=reviewer)
    assert refused(reviewer, f"{draft.pk}/reject/", {"reason": " "}) == (
        400,
        {"reason": ["Say what has to change."]},
    )


def test_bad_verification_is_a_400_per_field(author, reviewer, draft):
    put_in(draft, "approved", author=author, reviewer=reviewer)
    future = (timezone.now() + timedelta(days=1)).isoformat()
    status_code, body = refused(
        author,
        f"{draft.pk}/verify/",
        {"method": "drill", "outcome": "passed", "evidence": "", "verified_at": future},
    )
    assert status_code == 400
    assert body == {
        "evidence": ["Record what was run and what it showed."],
        "verified_at": ["A verification cannot be in the future."],
    }
    status_code, body = refused(
        author, f"{draft.pk}/verify/", {"method": "guess", "outcome": "passed", "evidence": "x"}
    )
    assert status_code == 400 and set(body) == {"method"}


def test_bad_steps_are_a_400_with_the_services_words(author, draft):
    steps = [{"text": ""}, {"text": "Open the runbook", "link": "not a url"}]
    status_code, body = refused(author, "", {"playbook": draft.playbook_id, "steps": steps})
    assert status_code == 400
    assert [message.split(":")[0] for message in body["steps"]] == ["Step 1", "Step 2"]


def test_an_empty_draft_cannot_be_submitted(author, search):
    playbook = PlaybookFactory(service=search)
    empty = services.playbook_version_create(actor=author, playbook=playbook, content="", steps=[])
    assert refused(author, f"{empty.pk}/submit/") == (
        400,
        {"content": ["Write the playbook before submitting it."]},
    )


# --- Walking a version through ----------------------------------------------------------------


def test_tier_one_needs_two_distinct_approvals(author, checkout, approvers, submitted):
    first = submitted(checkout, content="Old way")
    for approver in approvers:
        services.playbook_version_approve(actor=approver, version=first)
    second = submitted(checkout, content="New way")
    bea, cy = (client_for(person) for person in approvers)

    one = bea.post(f"{VERSIONS}{second.pk}/approve/", {"comment": "Fine"}, format="json").json()
    assert (one["status"], one["approvals_given"], one["approvals_required"]) == (
        "in_review",
        1,
        2,
    )
    assert one["approvals"][0]["approver"] == "bea" and one["approvals"][0]["comment"] == "Fine"

    two = cy.post(f"{VERSIONS}{second.pk}/approve/", {}, format="json").json()
    assert (two["status"], two["approvals_given"]) == ("approved", 2)
    assert [event["kind"] for event in two["events"]][-2:] == ["approved", "published"]
    first.refresh_from_db()
    assert first.status == VersionStatus.SUPERSEDED
    playbook = client_for(author).get(f"{PLAYBOOKS}{first.playbook_id}/").json()
    assert playbook["approved_version"] == second.number


def test_create_edit_submit_reject_reopen_over_http(author, reviewer, search):
    playbook = PlaybookFactory(service=search, title="Search is down")
    ada = client_for(author)

    created = ada.post(
        VERSIONS, {"playbook": playbook.pk, "content": "# Draft", "steps": STEPS}, format="json"
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["number"], body["status"], body["author"], body["service"]) == (
        1,
        "draft",
        "ada",
        "search",
    )
    assert body["steps"] == [{"position": 1, "link": "", **STEPS[0]}]
    path = f"{VERSIONS}{body['id']}/"

    edited = ada.patch(path, {"content": "# Better"}, format="json").json()
    assert edited["content"] == "# Better" and len(edited["steps"]) == 1  # steps kept
    replaced = ada.put(path, {"content": "# Best", "steps": []}, format="json").json()
    assert replaced["steps"] == []

    assert ada.post(f"{path}submit/", format="json").json()["status"] == "in_review"
    rejected = client_for(reviewer).post(f"{path}reject/", {"reason": "No steps"}, format="json")
    assert rejected.json()["rejection_reason"] == "No steps"
    reopened = ada.post(f"{path}reopen/", format="json").json()
    assert reopened["status"] == "draft"
    assert [event["kind"] for event in reopened["events"]] == [
        "created",
        "edited",
        "edited",
        "submitted",
        "rejected",
        "reopened",
    ]


def test_a_new_draft_without_content_starts_from_the_approved_version(author, reviewer, draft):
    put_in(draft, "approved", author=author, reviewer=reviewer)
    response = client_for(author).post(VERSIONS, {"playbook": draft.playbook_id}, format="json")
    body = response.json()
    assert (body["number"], body["content"], body["approved_version"]) == (
        2,
        "1. Check the dashboard",
        1,
    )
    assert body["diff"] == ""  # nothing changed yet
    edited = client_for(author).patch(
        f"{VERSIONS}{body['id']}/", {"content": "1. Check the new dashboard"}, format="json"
    )
    assert "-1. Check the dashboard\n+1. Check the new dashboard" in edited.json()["diff"]


def test_verify_records_who_how_and_evidence(author, reviewer, draft):
    put_in(draft, "approved", author=author, reviewer=reviewer)
    when = timezone.now()
    response = client_for(author).post(
        f"{VERSIONS}{draft.pk}/verify/",
        {
            "method": "tabletop",
            "outcome": "passed",
            "evidence": "Walked through",
            "verified_at": when.isoformat(),
        },
        format="json",
    )
    assert response.status_code == 200
    (verification,) = response.json()["verifications"]
    assert verification["verified_by"] == "ada" and verification["method"] == "tabletop"
    assert verification["evidence"] == "Walked through"
    assert response.json()["events"][-1]["kind"] == "verified"


def test_detail_renders_markdown_safely(author, search):
    playbook = PlaybookFactory(service=search)
    version = services.playbook_version_create(
        actor=author, playbook=playbook, content="# Steps\n<script>alert(1)</script>", steps=[]
    )
    html = client_for(author).get(f"{VERSIONS}{version.pk}/").json()["content_html"]
    assert "<h1>Steps</h1>" in html and "<script>" not in html


def test_version_list_filters(author, reviewer, search, checkout, draft, submitted):
    put_in(draft, "approved", author=author, reviewer=reviewer)
    other = submitted(checkout)
    client = client_for(author)

    def ids(**query):
        return [row["id"] for row in client.get(VERSIONS, query).json()["results"]]

    assert sorted(ids()) == sorted([draft.pk, other.pk])
    assert ids(status="approved") == [draft.pk]
    assert ids(status="in_review") == [other.pk]
    assert ids(service="checkout") == [other.pk]
    assert ids(playbook=draft.playbook_id) == [draft.pk]


def test_a_retried_approval_is_answered_from_the_first(author, reviewer, draft):
    put_in(draft, "in_review", author=author, reviewer=reviewer)
    client, headers = client_for(reviewer), {"Idempotency-Key": "approve-1"}
    first = client.post(f"{VERSIONS}{draft.pk}/approve/", {}, format="json", headers=headers)
    again = client.post(f"{VERSIONS}{draft.pk}/approve/", {}, format="json", headers=headers)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert draft.approvals.count() == 1


# --- Playbooks ------------------------------------------------------------------------------


def test_create_a_playbook_with_its_first_draft(author, search):
    outage = IncidentTypeFactory(name="Outage")
    body = {
        "service": "search",
        "incident_type": "outage",
        "title": "Search outage",
        "content": "Start here",
        "steps": STEPS,
    }
    response = client_for(author).post(PLAYBOOKS, body, format="json")
    assert response.status_code == 201, response.content
    playbook = response.json()
    assert (playbook["service"], playbook["incident_type"], playbook["approved_version"]) == (
        "search",
        outage.slug,
        None,
    )
    assert [(v["number"], v["status"]) for v in playbook["versions"]] == [(1, "draft")]


def test_playbook_create_refusals(author, search):
    PlaybookFactory(service=search)
    before = snapshot()
    plain = client_for(UserFactory(username="pat"))
    assert plain.post(PLAYBOOKS, {"service": "search", "title": "x"}).status_code == 403
    duplicate = client_for(author).post(PLAYBOOKS, {"service": "search", "title": "Again"})
    assert duplicate.status_code == 400
    unknown = client_for(author).post(PLAYBOOKS, {"service": "nope", "title": "x"})
    assert unknown.status_code == 400 and "service" in unknown.json()
    assert snapshot() == before


def test_playbook_list_shows_the_approved_version(author, reviewer, draft, checkout):
    put_in(draft, "approved", author=author, reviewer=reviewer)
    PlaybookFactory(service=checkout, title="Checkout")
    rows = client_for(author).get(PLAYBOOKS).json()["results"]
    assert [(row["service"], row["approved_version"]) for row in rows] == [
        ("checkout", None),
        ("search", 1),
    ]
    filtered = client_for(author).get(PLAYBOOKS, {"service": "search"}).json()
    assert filtered["count"] == 1


# --- Services -------------------------------------------------------------------------------


def service_body(**overrides):
    TeamFactory(name="Payments")
    return {
        "name": "Payments API",
        "slug": "payments-api",
        "description": "Takes money",
        "owner_team": "payments",
        "tier": 1,
        "environments": ["prod", "staging"],
        "regions": ["eu-west-1"],
        "links": [{"label": "Dashboard", "url": "https://grafana.example.com/d/pay"}],
        "dependencies": ["search"],
        **overrides,
    }


def test_service_create_needs_add_service(search):
    plain = UserFactory(username="pat")
    before = snapshot()
    assert client_for(plain).post(SERVICES, service_body(), format="json").status_code == 403
    assert snapshot() == before

    response = client_for(grant(plain, "add_service")).post(SERVICES, service_body(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert {k: body[k] for k in ("slug", "owner_team", "tier", "dependencies", "links")} == {
        "slug": "payments-api",
        "owner_team": "payments",
        "tier": 1,
        "dependencies": ["search"],
        "links": [{"label": "Dashboard", "url": "https://grafana.example.com/d/pay"}],
    }
    assert body["coverage"] == {
        "approved": False,
        "verified_current": False,
        "covered": False,
        "last_verified_at": None,
        "reverify_due_at": None,
        "days_until_reverification": None,
        "pending_reviews": 0,
    }


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"slug": "search"}, "slug"),
        ({"tier": 5}, "tier"),
        ({"owner_team": "nobody"}, "owner_team"),
        ({"dependencies": ["nope"]}, "dependencies"),
        ({"links": [{"label": "x", "url": "not a url"}]}, "links"),
    ],
)
def test_bad_services_are_a_400_per_field(overrides, field, search):
    creator = grant(UserFactory(username="cat"), "add_service")
    before = snapshot()
    response = client_for(creator).post(SERVICES, service_body(**overrides), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert snapshot() == before


def test_service_update_needs_change_service(search, checkout):
    plain = UserFactory(username="pat")
    path = f"{SERVICES}search/"
    assert client_for(plain).patch(path, {"tier": 1}, format="json").status_code == 403
    assign_perm("catalog.change_service", plain, search)  # on this service only
    response = client_for(plain).patch(
        path, {"tier": 1, "dependencies": ["checkout"]}, format="json"
    )
    assert response.status_code == 200, response.content
    assert (response.json()["tier"], response.json()["dependencies"]) == (1, ["checkout"])
    assert client_for(plain).patch(f"{SERVICES}checkout/", {"tier": 1}).status_code == 403
    itself = client_for(plain).patch(path, {"dependencies": ["search"]}, format="json")
    assert itself.status_code == 400
    assert itself.json() == {"dependencies": ["A service cannot depend on itself."]}


def test_service_filters(search, checkout):
    ServiceFactory(name="Legacy", tier=3, is_active=False)
    client = client_for(UserFactory(username="pat"))

    def slugs(**query):
        return [row["slug"] for row in client.get(SERVICES, query).json()["results"]]

    assert slugs() == ["checkout", "search", "legacy"]
    assert slugs(tier=1) == ["checkout"]
    assert slugs(active="false") == ["legacy"]
    assert slugs(team=search.owner_team.slug) == ["search"]


# --- Coverage -------------------------------------------------------------------------------


@pytest.fixture
def catalogue(author, approvers, checkout, search, submitted, settings):
    """Checkout covered; Search approved but its verification expired; Billing in review;
    Ledger without a playbook; Legacy inactive; Vault restricted to one insider."""
    settings.BEACON_PLAYBOOK_REVERIFY_DAYS_BY_TIER = {1: 90, 2: 180, 3: 365}
    now = timezone.now()
    covered = submitted(checkout)
    for approver in approvers:
        services.playbook_version_approve(actor=approver, version=covered)
    PlaybookVersion.objects.filter(pk=covered.pk).update(decided_at=now - timedelta(days=30))
    services.playbook_version_verify(
        actor=author,
        version=covered,
        method="drill",
        outcome="passed",
        evidence="Failed over",
        verified_at=now - timedelta(days=10) + timedelta(hours=1),
    )
    expired = submitted(search)
    services.playbook_version_approve(actor=approvers[0], version=expired)
    PlaybookVersion.objects.filter(pk=expired.pk).update(decided_at=now - timedelta(days=400))
    services.playbook_version_verify(
        actor=author,
        version=expired,
        method="tabletop",
        outcome="passed",
        evidence="Walked through",
        verified_at=now - timedelta(days=200) + timedelta(hours=1),
    )
    submitted(ServiceFactory(name="Billing", tier=3))
    ServiceFactory(name="Ledger", tier=3)
    ServiceFactory(name="Legacy", tier=3, is_active=False)
    vault = ServiceFactory(name="Vault", tier=1)
    assign_perm("catalog.view_service", UserFactory(username="insider"), vault)
    submitted(vault)
    return vault


def test_coverage_report(catalogue, approvers):
    body = client_for(UserFactory(username="pat")).get(COVERAGE).json()

    assert (body["covered"], body["total"]) == (1, 4)
    rows = {row["service"]: row for row in body["services"]}
    assert {
        slug: (
            row["approved"],
            row["verified_current"],
            row["days_until_reverification"],
            row["pending_reviews"],
        )
        for slug, row in rows.items()
    } == {
        "checkout": (True, True, 80, 0),
        "search": (True, False, -20, 0),
        "billing": (False, False, None, 1),
        "ledger": (False, False, None, 0),
    }
    assert rows["checkout"]["covered"] and rows["checkout"]["tier"] == 1
    assert rows["checkout"]["owner_team"] == Service.objects.get(slug="checkout").owner_team.slug


def test_coverage_includes_restricted_services_for_those_who_may_see_them(catalogue):
    insider = UserFactory(username="insider")
    body = client_for(insider).get(COVERAGE).json()
    assert body["total"] == 5
    assert {row["service"]: row["pending_reviews"] for row in body["services"]}["vault"] == 1


def test_service_list_carries_the_coverage_summary(catalogue):
    rows = client_for(UserFactory(username="pat")).get(SERVICES).json()["results"]
    summary = {row["slug"]: row["coverage"] for row in rows}
    assert summary["checkout"]["covered"] is True
    assert summary["search"]["days_until_reverification"] == -20
    assert summary["legacy"]["approved"] is False
    assert "vault" not in summary


# --- Restricted services --------------------------------------------------------------------


@pytest.fixture
def vault(author, submitted):
    """A restricted service: `view_service` is granted to one user and one group."""
    service = ServiceFactory(name="Vault", tier=2)
    assign_perm("catalog.view_service", UserFactory(username="insider"), service)
    group = Group.objects.create(name="vault-team")
    assign_perm("catalog.view_service", group, service)
    UserFactory(username="member").groups.add(group)
    submitted(service)
    return service


def paths_of(service):
    playbook = service.playbooks.get()
    version = playbook.versions.get()
    return [
        f"{SERVICES}{service.slug}/",
        f"{PLAYBOOKS}{playbook.pk}/",
        f"{VERSIONS}{version.pk}/",
    ]


def listed(user):
    client = client_for(user)
    return (
        [row["slug"] for row in client.get(SERVICES).json()["results"]],
        [row["service"] for row in client.get(PLAYBOOKS).json()["results"]],
        [row["service"] for row in client.get(VERSIONS).json()["results"]],
        [row["service"] for row in client.get(COVERAGE).json()["services"]],
    )


def test_restricted_service_is_hidden_from_outsiders(vault, search):
    outsider = editor_user("out")
    assign_perm("catalog.approve_playbook", outsider, vault)  # approving is not seeing
    client = client_for(outsider)

    assert listed(outsider) == (["search"], [], [], ["search"])
    for path in paths_of(vault):
        assert client.get(path).status_code == 404
    version = vault.playbooks.get().versions.get()
    before = snapshot()
    assert client.post(f"{VERSIONS}{version.pk}/approve/", {}).status_code == 404
    assert client.patch(f"{SERVICES}vault/", {"tier": 1}).status_code == 404
    new_draft = client.post(VERSIONS, {"playbook": version.playbook_id}, format="json")
    assert new_draft.status_code == 400 and "playbook" in new_draft.json()
    new_playbook = client.post(PLAYBOOKS, {"service": "vault", "title": "Mine"})
    assert new_playbook.status_code == 400 and "service" in new_playbook.json()
    assert snapshot() == before


@pytest.mark.parametrize("who", ["insider", "member", "model_wide", "superuser"])
def test_restricted_service_is_visible_to_those_granted(who, vault, search):
    user = {
        "insider": lambda: UserFactory(username="insider"),
        "member": lambda: UserFactory(username="member"),
        "model_wide": lambda: grant(UserFactory(username="auditor"), "view_service"),
        "superuser": lambda: UserFactory(username="root", is_superuser=True),
    }[who]()
    assert listed(user) == (
        ["search", "vault"],
        ["vault"],
        ["vault"],
        ["search", "vault"],
    )
    for path in paths_of(vault):
        assert client_for(user).get(path).status_code == 200


def test_anonymous_reads_nothing(vault):
    client = client_for()
    for path in [SERVICES, PLAYBOOKS, VERSIONS, COVERAGE, *paths_of(vault)]:
        assert client.get(path).status_code == 401


# --- Query counts ---------------------------------------------------------------------------


def make_covered_service(n, author, chief, submitted):
    service = ServiceFactory(name=f"Svc {n}", tier=2)
    version = submitted(service, content=f"Playbook {n}")
    services.playbook_version_approve(actor=chief, version=version)
    services.playbook_version_verify(
        actor=author, version=version, method="drill", outcome="passed", evidence="ok"
    )
    submitted(service, content=f"Next {n}")
    if n > 1:
        service.dependencies.add(Service.objects.get(slug="svc-1"))
    return service


@pytest.mark.parametrize("path", [SERVICES, PLAYBOOKS, VERSIONS, COVERAGE])
def test_list_query_count_is_constant(path, author, submitted):
    reader = UserFactory(username="pat")
    chief = grant(UserFactory(username="chief"), "approve_playbook")  # on every service

    def queries():
        client = client_for(type(reader).objects.get(pk=reader.pk))  # as a new request loads it
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        assert response.status_code == 200
        return len(captured)

    make_covered_service(1, author, chief, submitted)
    one = queries()
    for n in range(2, 6):
        make_covered_service(n, author, chief, submitted)
    assert queries() == one
