"""The API's teams, critical functions, delegations, unavailability, SPOF report, incident roles."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from incidents.models import RoleAssignment, TimelineKind
from incidents.tests import factories
from people.models import Delegation, Team, TeamMembership, Unavailability
from people.tests.setup import away, build_org, coordinator, ranks

pytestmark = pytest.mark.django_db

API = "/api/v1/"


def client_for(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def org():
    return build_org()


@pytest.fixture
def kim():
    return coordinator()


@pytest.fixture
def stella():
    return factories.stakeholder(username="stella", first_name="Stella", last_name="Stone")


# --- Who may do what ------------------------------------------------------------------------


def _window_of(org):
    return away(org.gina, starts_in=timedelta(days=2)).pk


def _cora_in_payments(org):
    return Delegation.objects.get(team=org.payments, user=org.cora).pk


SOON = (timezone.now() + timedelta(days=1)).isoformat()
LATER = (timezone.now() + timedelta(days=2)).isoformat()
WINDOW = {"starts_at": SOON, "ends_at": LATER, "reason": "holiday"}

# name: (method, path, body); a callable in the path takes the org and fills {}.
ENDPOINTS = {
    "teams": ("get", "teams/", None),
    "team-create": ("post", "teams/", {"name": "Growth"}),
    "team-update": ("patch", "teams/payments/", {"description": "Money"}),
    "member-add": ("post", "teams/payments/members/", {"user": "rudy"}),
    "functions": ("get", "critical-functions/", None),
    "function-create": ("post", "critical-functions/", {"name": "Scribe"}),
    "delegations": ("get", "delegations/?function=incident-commander", None),
    "delegation-create": (
        "post",
        "delegations/",
        {"function": "communications-lead", "user": "gina", "rank": 2},
    ),
    "delegation-delete": ("delete", ("delegations/{}/", _cora_in_payments), None),
    "holder": ("get", "delegations/holder/?function=incident-commander", None),
    "windows": ("get", "unavailability/", None),
    "own-window": ("post", "unavailability/", WINDOW),
    "others-window": ("post", "unavailability/", {**WINDOW, "user": "pat"}),
    "others-window-delete": ("delete", ("unavailability/{}/", _window_of), None),
    "spof": ("get", "spof/", None),
}
EXPECTED = {
    "anonymous": (401,) * 15,
    "stakeholder": (200, 403, 403, 403, 200, 403, 200, 403, 403, 200, 200, 201, 403, 403, 200),
    "responder": (200, 403, 403, 403, 200, 403, 200, 403, 403, 200, 200, 201, 403, 403, 200),
    "coordinator": (200, 201, 200, 201, 200, 201, 200, 201, 204, 200, 200, 201, 201, 204, 200),
    "superuser": (200, 201, 200, 201, 200, 201, 200, 201, 204, 200, 200, 201, 201, 204, 200),
}
MATRIX = [
    pytest.param(role, endpoint, code, id=f"{role}-{endpoint}-{code}")
    for role, codes in EXPECTED.items()
    for endpoint, code in zip(ENDPOINTS, codes, strict=True)
]


def snapshot():
    return (
        list(Team.objects.values_list("name", "description")),
        list(TeamMembership.objects.values_list("team_id", "user_id", "is_lead")),
        list(Delegation.objects.values_list("function_id", "team_id", "user_id", "rank")),
        Unavailability.objects.count(),
    )


@pytest.mark.parametrize("role, endpoint, expected", MATRIX)
def test_permission_matrix(role, endpoint, expected, org, stella):
    users = {
        "anonymous": None,
        "stakeholder": stella,
        "responder": org.rudy,
        "coordinator": coordinator(),
        "superuser": factories.UserFactory(username="root", is_superuser=True),
    }
    method, path, body = ENDPOINTS[endpoint]
    if isinstance(path, tuple):
        path = path[0].format(path[1](org))
    before = snapshot()

    response = getattr(client_for(users[role]), method)(API + path, body, format="json")

    assert response.status_code == expected, response.content
    if expected >= 400:
        assert snapshot() == before


# --- Teams and functions --------------------------------------------------------------------


def test_team_detail_lists_members_leads_first(org, stella):
    body = client_for(stella).get(f"{API}teams/payments/").json()
    assert body == {
        "name": "Payments",
        "slug": "payments",
        "description": "",
        "signs_off_policy": False,
        "members": [
            {"username": "pat", "name": "Pat Lee", "is_lead": True},
            {"username": "cora", "name": "Cora Diaz", "is_lead": False},
        ],
    }


def test_team_create_and_members(kim, org):
    client = client_for(kim)
    created = client.post(f"{API}teams/", {"name": "Growth"}, format="json")
    assert created.status_code == 201
    assert created.json()["slug"] == "growth"
    added = client.post(
        f"{API}teams/growth/members/", {"user": "gina", "is_lead": True}, format="json"
    )
    assert added.json()["members"] == [{"username": "gina", "name": "Gina Growth", "is_lead": True}]
    assert client.delete(f"{API}teams/growth/members/gina/").status_code == 204
    assert client.get(f"{API}teams/growth/").json()["members"] == []


def test_team_refusals_are_field_messages(kim, org):
    client = client_for(kim)
    duplicate = client.post(f"{API}teams/", {"name": "Payments"}, format="json")
    assert duplicate.status_code == 400
    assert "name" in duplicate.json()
    delegate = client.delete(f"{API}teams/payments/members/cora/")
    assert delegate.status_code == 400
    assert delegate.json()["user"] == [
        "Cora Diaz is a delegate of Payments for Incident commander (rank 2): remove those "
        "delegations first."
    ]


def test_critical_function_create_refuses_a_taken_incident_field(kim, org):
    response = client_for(kim).post(
        f"{API}critical-functions/", {"name": "Boss", "incident_field": "commander"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "incident_field": [
            "Incident commander already fills the incident's commander: only one function may."
        ]
    }
    patched = client_for(kim).patch(
        f"{API}critical-functions/communications-lead/", {"duties": "Talks"}, format="json"
    )
    assert patched.status_code == 200
    assert patched.json()["duties"] == "Talks"


# --- Delegations ----------------------------------------------------------------------------


def test_delegation_list_filters_and_availability(org, stella):
    away(org.cora)
    client = client_for(stella)
    rows = client.get(f"{API}delegations/", {"function": "incident-commander"}).json()["results"]
    assert [(r["scope"], r["rank"], r["user"], r["available_now"]) for r in rows] == [
        ("Organisation", 1, "cora", False),
        ("Organisation", 2, "pat", True),
        ("Payments", 1, "pat", True),
        ("Payments", 2, "cora", False),
    ]
    payments = client.get(f"{API}delegations/", {"team": "payments"}).json()["results"]
    assert {r["team"] for r in payments} == {"payments"}
    organisation = client.get(f"{API}delegations/", {"organisation": "true"}).json()["results"]
    assert len(organisation) == 5
    assert {r["team"] for r in organisation} == {None}


def test_delegation_create_refusals(kim, org):
    client = client_for(kim)
    body = {"function": "incident-commander", "team": "payments", "user": "rudy", "rank": 2}
    response = client.post(f"{API}delegations/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "rank": ["Rank 2 of Incident commander for Payments is already held by Cora Diaz."],
        "user": ["Rudy Okafor is not a member of Payments."],
    }
    body.update(user="cora", rank=3)
    response = client.post(f"{API}delegations/", body, format="json")
    assert response.json() == {
        "user": ["Cora Diaz already holds Incident commander for Payments (rank 2)."]
    }
    response = client.post(f"{API}delegations/", {**body, "user": "pat", "rank": 0}, format="json")
    assert "rank" in response.json()


def test_delegation_patch_and_delete_renumber(kim, org):
    client = client_for(kim)
    pat = Delegation.objects.get(function=org.commander, team=None, user=org.pat)
    moved = client.patch(f"{API}delegations/{pat.pk}/", {"rank": 4}, format="json")
    assert moved.status_code == 200, moved.content
    assert moved.json()["rank"] == 4
    cora = Delegation.objects.get(function=org.commander, team=None, user=org.cora)
    assert client.delete(f"{API}delegations/{cora.pk}/").status_code == 204
    assert ranks(org.commander) == [("pat", 1)]


def test_delegations_reorder(kim, org):
    response = client_for(kim).post(
        f"{API}delegations/reorder/",
        {"function": "incident-commander", "team": "payments", "users": ["cora", "pat"]},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert [(r["user"], r["rank"]) for r in response.json()] == [("cora", 1), ("pat", 2)]
    refused = client_for(kim).post(
        f"{API}delegations/reorder/",
        {"function": "incident-commander", "users": ["cora"]},
        format="json",
    )
    assert refused.status_code == 400
    assert refused.json() == {"users_in_order": ["Pat Lee is missing from the new order."]}


def test_holder_with_an_unavailable_primary(org, stella):
    window = away(org.pat, reason="sick")
    response = client_for(stella).get(
        f"{API}delegations/holder/", {"function": "incident-commander", "team": "payments"}
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["function"], body["team"], body["user"], body["user_name"], body["rank"]) == (
        "incident-commander",
        "payments",
        "cora",
        "Cora Diaz",
        2,
    )
    assert [(s["user"], s["name"]) for s in body["skipped"]] == [("pat", "Pat Lee")]
    assert body["skipped"][0]["reason"].startswith("is unavailable (sick) until ")
    assert body["explanation"].startswith("Pat Lee is unavailable (sick)")
    assert body["explanation"].endswith("rank 2 stands in")

    # After the window, at a given moment, the primary is back.
    later = (window.ends_at + timedelta(hours=1)).isoformat()
    body = (
        client_for(stella)
        .get(f"{API}delegations/holder/", {"function": "incident-commander", "at": later})
        .json()
    )
    assert (body["user"], body["rank"], body["skipped"], body["explanation"]) == (
        "cora",
        1,
        [],
        "primary delegate",
    )


def test_holder_when_nobody_is_available(org, stella):
    away(org.pat)
    body = (
        client_for(stella)
        .get(f"{API}delegations/holder/", {"function": "communications-lead"})
        .json()
    )
    assert (body["user"], body["rank"], body["team"]) == (None, None, None)
    assert body["explanation"].startswith("Pat Lee is unavailable (holiday)")


@pytest.mark.parametrize(
    "params, field",
    [
        ({}, "function"),
        ({"function": "astronaut"}, "function"),
        ({"function": "responder", "team": "x"}, "team"),
        ({"function": "responder", "at": "soon"}, "at"),
    ],
)
def test_holder_bad_queries(org, stella, params, field):
    response = client_for(stella).get(f"{API}delegations/holder/", params)
    assert response.status_code == 400
    assert field in response.json()


# --- Unavailability -------------------------------------------------------------------------


def test_unavailability_own_window_and_filters(org, stella):
    client = client_for(stella)
    created = client.post(
        f"{API}unavailability/", {**WINDOW, "note": "Beach", "reason": "off_shift"}, format="json"
    )
    assert created.status_code == 201, created.content
    assert (created.json()["user"], created.json()["reason"], created.json()["is_current"]) == (
        "stella",
        "off_shift",
        False,
    )
    away(org.pat, starts_in=timedelta(days=-5), lasts=timedelta(days=1))
    assert client.get(f"{API}unavailability/").json()["count"] == 2
    upcoming = client.get(f"{API}unavailability/", {"upcoming": "true"}).json()["results"]
    assert [w["user"] for w in upcoming] == ["stella"]
    mine = client.get(f"{API}unavailability/", {"user": "pat"}).json()["results"]
    assert [w["user"] for w in mine] == ["pat"]
    window_id = created.json()["id"]
    patched = client.patch(f"{API}unavailability/{window_id}/", {"note": "Hills"}, format="json")
    assert patched.json()["note"] == "Hills"
    assert client.delete(f"{API}unavailability/{window_id}/").status_code == 204


def test_unavailability_refusals(org, stella):
    client = client_for(stella)
    past = (timezone.now() - timedelta(days=1)).isoformat()
    response = client.post(
        f"{API}unavailability/", {**WINDOW, "starts_at": LATER, "ends_at": SOON}, format="json"
    )
    assert response.json() == {"ends_at": ["The window must end after it starts."]}
    response = client.post(
        f"{API}unavailability/",
        {**WINDOW, "starts_at": past, "ends_at": past},
        format="json",
    )
    assert response.status_code == 400
    response = client.post(f"{API}unavailability/", {**WINDOW, "reason": "bored"}, format="json")
    assert "reason" in response.json()
    response = client.post(f"{API}unavailability/", {**WINDOW, "user": "pat"}, format="json")
    assert response.status_code == 403
    assert response.json() == {
        "detail": "You may only manage your own unavailability, not Pat Lee's."
    }
    assert not Unavailability.objects.exists()


# --- Single points of failure ---------------------------------------------------------------


def spof_pairs(rows):
    return {(row["function"], row["team"]) for row in rows}


def test_spof_lists_exactly_the_pairs_with_fewer_than_two_available(org, stella):
    # Payments' responders: Rudy then Gina, both members.
    for user in (org.rudy, org.gina):
        TeamMembership.objects.create(team=org.payments, user=user)
    for rank, user in enumerate((org.rudy, org.gina), start=1):
        Delegation.objects.create(function=org.responder, team=org.payments, user=user, rank=rank)
    # Commanders (organisation, and Payments): Cora's holiday starts in 10 days, inside the
    # 14-day horizon.
    holiday = away(org.cora, starts_in=timedelta(days=10), lasts=timedelta(days=7))
    # Gina's starts in 20 days: no longer a failure within 14 days, so it is not counted.
    away(org.gina, starts_in=timedelta(days=20))
    # Communications lead: Pat alone.

    response = client_for(stella).get(f"{API}spof/")

    assert response.status_code == 200
    rows = response.json()
    assert spof_pairs(rows) == {
        ("incident-commander", None),
        ("incident-commander", "payments"),
        ("communications-lead", None),
    }
    commander = next(r for r in rows if r["function"] == "incident-commander" and not r["team"])
    assert commander == {
        "function": "incident-commander",
        "function_name": "Incident commander",
        "team": None,
        "scope": "Organisation",
        "delegates": ["cora", "pat"],
        "available_now": 2,
        "fewest_available": 1,
        "fewest_at": commander["fewest_at"],
        "is_spof": True,
    }
    assert commander["fewest_at"] == holiday.starts_at.isoformat().replace("+00:00", "Z")
    comms = next(r for r in rows if r["function"] == "communications-lead")
    assert (comms["available_now"], comms["fewest_available"]) == (1, 1)

    everything = client_for(stella).get(f"{API}spof/", {"all": "true"}).json()
    assert spof_pairs(everything) == {
        ("incident-commander", None),
        ("incident-commander", "payments"),
        ("responder", None),
        ("responder", "payments"),
        ("communications-lead", None),
    }
    assert {(r["function"], r["team"]) for r in everything if r["is_spof"]} == spof_pairs(rows)


def test_spof_counts_an_organisation_function_without_delegates(org, stella):
    factories.CriticalFunctionFactory(name="Scribe", slug="scribe", position=9)
    rows = client_for(stella).get(f"{API}spof/").json()
    scribe = next(r for r in rows if r["function"] == "scribe")
    assert (scribe["delegates"], scribe["available_now"], scribe["is_spof"]) == ([], 0, True)


# --- Constant query counts ------------------------------------------------------------------


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _grow(numbers):
    """A team with 2 members, and a function with those 2 as delegates, each with a window."""
    for i in numbers:
        team = factories.TeamFactory(name=f"Squad {i}", slug=f"squad-{i}")
        function = factories.CriticalFunctionFactory(name=f"Duty {i}", slug=f"duty-{i}")
        for rank in (1, 2):
            user = factories.UserFactory(username=f"u{i}-{rank}")
            TeamMembership.objects.create(team=team, user=user, is_lead=rank == 1)
            Delegation.objects.create(function=function, team=team, user=user, rank=rank)
            away(user, starts_in=timedelta(days=rank))


@pytest.mark.parametrize(
    "url", ["teams/", "critical-functions/", "delegations/", "unavailability/", "spof/?all=true"]
)
def test_list_query_counts_do_not_grow(stella, url):
    client = client_for(stella)
    _grow([0])
    one = _queries(client, API + url)
    _grow(range(1, 5))
    assert Team.objects.count() == 5
    assert _queries(client, API + url) == one


# --- Incident roles -------------------------------------------------------------------------


@pytest.fixture
def staffed(org, declare):
    """An incident staffed from the delegates: Cora is on holiday, so Pat commands."""
    away(org.cora)
    return declare(actor=org.cora, team=None)


def test_incident_detail_has_roles_and_staffing_gaps(staffed, org, stella):
    Delegation.objects.filter(function=org.responder).delete()
    incident = staffed
    body = client_for(stella).get(f"{API}incidents/{incident.reference}/").json()
    roles = {role["function"]: role for role in body["roles"]}
    assert roles["incident-commander"]["user"] == "pat"
    assert roles["incident-commander"]["function_name"] == "Incident commander"
    assert roles["incident-commander"]["user_name"] == "Pat Lee"
    assert roles["incident-commander"]["reason"].startswith("Cora Diaz is unavailable (holiday)")
    assert roles["incident-commander"]["reason"].endswith("rank 2 stands in")
    assert body["staffing_gaps"] == []

    RoleAssignment.objects.filter(incident=incident, function=org.responder).update(
        ended_at=timezone.now()
    )
    body = client_for(stella).get(f"{API}incidents/{incident.reference}/").json()
    assert body["staffing_gaps"] == ["responder"]


def test_handover_action(staffed, org, stella):
    url = f"{API}incidents/{staffed.reference}/roles/handover/"
    body = {"function": "incident-commander", "to_user": "rudy", "note": "Shift change"}

    assert client_for(stella).post(url, body, format="json").status_code == 403
    response = client_for(org.pat).post(url, body, format="json")

    assert response.status_code == 200, response.content
    roles = {role["function"]: role for role in response.json()["roles"]}
    assert (roles["incident-commander"]["user"], roles["incident-commander"]["reason"]) == (
        "rudy",
        "Shift change",
    )
    assert response.json()["commander"] == "rudy"
    event = staffed.timeline.filter(kind=TimelineKind.ROLE_HANDED_OVER).get()
    assert event.message == "Pat Lee handed Incident commander over to Rudy Okafor. Shift change"
    again = client_for(org.pat).post(url, body, format="json")
    assert again.status_code == 409
    assert again.json() == {"detail": "Rudy Okafor already holds Incident commander."}
    unknown = client_for(org.pat).post(url, {**body, "function": "astronaut"}, format="json")
    assert unknown.status_code == 400
    assert "function" in unknown.json()
