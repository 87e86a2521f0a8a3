import json
import urllib.error
import urllib.request
from datetime import timedelta
from types import SimpleNamespace
from unittest import mock

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from core.api import idempotent as idempotency
from core.models import IdempotencyKey
from incidents import services
from incidents.models import (
    Incident,
    IncidentSource,
    IncidentStatus,
    StatusUpdate,
    TimelineEvent,
    TimelineKind,
)
from incidents.tests import factories

pytestmark = pytest.mark.django_db

API = "/api/v1/incidents/"
MISSING = object()


def declaration(**overrides):
    """A valid declaration body; an override of MISSING leaves the field out."""
    body = {
        "title": "Checkout is failing",
        "incident_type": "outage",
        "severity": "SEV2",
        "affects_customers": True,
        "unplanned": True,
        "exceeds_one_hour": True,
        **overrides,
    }
    return {field: value for field, value in body.items() if value is not MISSING}


def client_for(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def snapshot(incident):
    """What a refused request must leave untouched."""
    incident.refresh_from_db()
    return (
        incident.status,
        incident.severity_id,
        incident.timeline.count(),
        incident.updates.count(),
        list(incident.criteria.values_list("met_at", "waived_at")),
    )


def kinds(events):
    return [event["kind"] for event in events]


@pytest.fixture
def declarer():
    return factories.commander(username="dana")


@pytest.fixture
def public_incident(declare, declarer):
    return declare(actor=declarer)


@pytest.fixture
def private_incident(declare, declarer, security_type):
    return declare(actor=declarer, incident_type=security_type)


# --- Who may do what ------------------------------------------------------------------------

ENDPOINTS = {
    "list": ("get", "", None),
    "retrieve": ("get", "{ref}/", None),
    "declare": ("post", "", declaration()),
    "acknowledge": ("post", "{ref}/acknowledge/", {}),
    "post-update": ("post", "{ref}/updates/", {"message": "Rolling back"}),
    "waive": ("post", "{ref}/exit-criteria/{criterion}/waive/", {"reason": "No baseline"}),
    "timeline": ("get", "{ref}/timeline/", None),
}
# The outsider is a responder who is not a participant of the private (security) incident.
EXPECTED = {
    "anonymous": (401, 401, 401, 401, 401, 401, 401),
    "stakeholder": (200, 200, 403, 403, 403, 403, 200),
    "responder": (200, 200, 201, 200, 201, 403, 200),
    "commander": (200, 200, 201, 200, 201, 200, 200),
    "outsider": (200, 404, 201, 404, 404, 404, 404),
}
MATRIX = [
    pytest.param(role, endpoint, code, id=f"{role}-{endpoint}-{code}")
    for role, codes in EXPECTED.items()
    for endpoint, code in zip(ENDPOINTS, codes, strict=True)
]


@pytest.fixture
def user_in_role(commander_user, responder_user, stakeholder_user):
    return {
        "anonymous": None,
        "stakeholder": stakeholder_user,
        "responder": responder_user,
        "commander": commander_user,
        "outsider": factories.responder(username="olga"),
    }


@pytest.mark.parametrize("role, endpoint, expected", MATRIX)
def test_permission_matrix(
    role, endpoint, expected, user_in_role, public_incident, private_incident
):
    incident = private_incident if role == "outsider" else public_incident
    before = (snapshot(incident), Incident.objects.count())
    method, path, body = ENDPOINTS[endpoint]
    url = API + path.format(ref=incident.reference, criterion=incident.criteria.first().pk)

    response = getattr(client_for(user_in_role[role]), method)(url, body, format="json")

    assert response.status_code == expected, response.content
    if expected >= 400:
        assert (snapshot(incident), Incident.objects.count()) == before


def test_private_incident_is_absent_from_outsiders_list_and_count(
    public_incident, private_incident, declarer
):
    outsider = client_for(factories.responder(username="olga"))
    listed = outsider.get(API).json()
    assert listed["count"] == 1
    assert [row["reference"] for row in listed["results"]] == [public_incident.reference]
    assert outsider.get(API, {"q": private_incident.reference}).json()["count"] == 0
    assert outsider.get(f"{API}{private_incident.pk}/").status_code == 404

    assert client_for(declarer).get(API).json()["count"] == 2


def test_retrieve_by_reference_or_id(public_incident, stakeholder_user):
    client = client_for(stakeholder_user)
    by_reference = client.get(f"{API}{public_incident.reference}/")
    by_id = client.get(f"{API}{public_incident.pk}/")
    assert by_reference.status_code == by_id.status_code == 200
    assert by_reference.json() == by_id.json()


def test_token_authentication(public_incident, responder_user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert client.get(API).status_code == 401

    _token, key = services.api_token_create(user=responder_user, actor=responder_user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get(API).status_code == 200
    acknowledged = client.post(f"{API}{public_incident.reference}/acknowledge/")
    assert acknowledged.status_code == 200
    assert acknowledged.json()["acknowledged_by"] == "rudy"


# --- The lifecycle --------------------------------------------------------------------------


def test_full_walk_from_declared_to_closed(
    commander_user, responder_user, outage, sev1, sev2, checkout_service
):
    client = client_for(commander_user)
    declared = client.post(
        API,
        declaration(name="checkout-down", responder="rudy", services=["checkout"]),
        format="json",
    )
    assert declared.status_code == 201, declared.content
    ref = declared.json()["reference"]
    url = f"{API}{ref}/"
    incident = Incident.objects.get(reference=ref)
    assert incident.source == IncidentSource.API
    assert declared.json()["channel_name"].startswith("inc_checkout-down_")

    def post(path, body=None, expected=200):
        response = client.post(url + path, body or {}, format="json")
        assert response.status_code == expected, response.content
        return response.json()

    assert post("acknowledge/")["status"] == IncidentStatus.INVESTIGATING
    assert post("severity/", {"severity": "SEV1", "reason": "All regions"})["severity"] == "SEV1"
    assert post("status/", {"status": "identified"})["status"] == IncidentStatus.IDENTIFIED
    update = post("updates/", {"message": "Rolling back"}, expected=201)
    assert (update["message"], update["posted_by"]) == ("Rolling back", "cora")
    assert post("notes/", {"text": "Paged DBA"}, expected=201)["kind"] == TimelineKind.NOTE
    assert post("status/", {"status": "monitoring"})["status"] == IncidentStatus.MONITORING

    criteria = client.get(url + "exit-criteria/").json()
    baseline, informed, _dashboards = criteria
    assert post(f"exit-criteria/{baseline['id']}/check/", {"note": "graph ok"})["met"] is True
    refused = client.post(url + "resolve/", {"resolution": "Rolled back"}, format="json")
    assert refused.status_code == 409
    assert refused.json() == {
        "detail": f"Cannot resolve {ref}: these required exit criteria are neither met nor "
        "waived: Customers informed."
    }
    waived = post(f"exit-criteria/{informed['id']}/waive/", {"reason": "Status page"})
    assert (waived["waived"], waived["waived_by"]) == (True, "cora")
    assert post("resolve/", {"resolution": "Rolled back v42"})["status"] == "resolved"
    closed = post("close/")

    assert closed["status"] == IncidentStatus.CLOSED
    for moment in ("declared_at", "acknowledged_at", "mitigated_at", "resolved_at", "closed_at"):
        assert closed[moment] is not None
    for duration in ("time_to_acknowledge", "time_to_mitigate", "time_to_resolve"):
        assert isinstance(closed[duration], float) and closed[duration] >= 0
    assert closed["time_to_detect"] is None
    assert closed["last_update_at"] is not None and closed["next_update_due"] is None
    assert closed["responder"] == "rudy" and closed["meets_definition"] is True
    assert [(c["met"], c["waived"]) for c in closed["criteria"]] == [
        (True, False),
        (False, True),
        (False, False),
    ]
    assert [u["message"] for u in client.get(url + "updates/").json()] == ["Rolling back"]
    assert kinds(client.get(url + "timeline/").json()) == [
        TimelineKind.DECLARED,
        TimelineKind.PLAYBOOK_MISSING,
        TimelineKind.ACKNOWLEDGED,
        TimelineKind.SEVERITY_CHANGED,
        TimelineKind.STATUS_CHANGED,
        TimelineKind.UPDATE_POSTED,
        TimelineKind.NOTE,
        TimelineKind.STATUS_CHANGED,
        TimelineKind.CRITERION_MET,
        TimelineKind.CRITERION_WAIVED,
        TimelineKind.RESOLVED,
        TimelineKind.CLOSED,
    ]


def test_next_update_due_follows_the_cadence_and_turns_overdue(
    public_incident, commander_user, settings
):
    url = f"{API}{public_incident.reference}/"
    body = client_for(commander_user).get(url).json()
    due = public_incident.declared_at + timedelta(minutes=30)
    assert body["next_update_due"] == due.isoformat().replace("+00:00", "Z")
    assert body["update_overdue"] is False
    Incident.objects.filter(pk=public_incident.pk).update(
        next_update_due=timezone.now() - timedelta(minutes=1)
    )
    assert client_for(commander_user).get(url).json()["update_overdue"] is True
    services.incident_post_update(incident=public_incident, actor=commander_user, message="On it")
    assert client_for(commander_user).get(url).json()["update_overdue"] is False


def test_status_is_read_only(public_incident, commander_user):
    client = client_for(commander_user)
    url = f"{API}{public_incident.reference}/"
    assert client.patch(url, {"status": "closed"}, format="json").status_code == 405
    assert client.put(url, {"status": "closed"}, format="json").status_code == 405
    declared = client.post(API, declaration(status="resolved"), format="json")
    assert declared.json()["status"] == IncidentStatus.DECLARED


def test_illegal_transition_is_a_conflict(public_incident, commander_user):
    response = client_for(commander_user).post(
        f"{API}{public_incident.reference}/status/", {"status": "resolved"}, format="json"
    )
    assert response.status_code == 409
    assert response.json() == {"detail": "Use resolve to set the status to resolved."}


def test_cancel_as_duplicate(declare, declarer, commander_user):
    original, copy = declare(actor=declarer), declare(actor=declarer)
    response = client_for(commander_user).post(
        f"{API}{copy.reference}/cancel/",
        {"reason": "duplicate", "duplicate_of": original.reference, "note": "Same alert"},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["cancel_reason"]) == ("cancelled", "duplicate")
    assert body["duplicate_of"] == original.reference and body["cancelled_at"]


def test_duplicate_of_an_invisible_incident_is_not_found(
    public_incident, private_incident, responder_user
):
    before = snapshot(public_incident)
    response = client_for(responder_user).post(
        f"{API}{public_incident.reference}/cancel/",
        {"reason": "duplicate", "duplicate_of": private_incident.reference},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"duplicate_of": [f"No incident {private_incident.reference}."]}
    assert snapshot(public_incident) == before


def test_reference_of_an_invisible_original_is_not_shown(
    public_incident, private_incident, declarer, responder_user
):
    client_for(declarer).post(
        f"{API}{public_incident.reference}/cancel/",
        {"reason": "duplicate", "duplicate_of": private_incident.reference},
        format="json",
    )
    url = f"{API}{public_incident.reference}/"
    assert client_for(declarer).get(url).json()["duplicate_of"] == private_incident.reference
    assert client_for(responder_user).get(url).json()["duplicate_of"] is None


# --- Bad input: 400 with the field, nothing stored ------------------------------------------

SOON = (timezone.now() + timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"title": MISSING}, "title"),
        ({"title": "   "}, "title"),
        ({"severity": "SEV9"}, "severity"),
        ({"incident_type": "volcano"}, "incident_type"),
        ({"priority": "P9"}, "priority"),
        ({"name": "Has Caps"}, "name"),
        ({"exceeds_one_hour": False}, "confirm_definition"),
        ({"affects_customers": MISSING}, "affects_customers"),
        ({"impact_started_at": SOON}, "impact_started_at"),
        ({"detected_at": SOON}, "detected_at"),
        ({"commander": "nobody"}, "commander"),
        ({"invitees": ["nobody"]}, "invitees"),
    ],
)
def test_bad_declaration_is_refused_and_nothing_is_stored(
    commander_user, outage, sev2, overrides, field
):
    response = client_for(commander_user).post(API, declaration(**overrides), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Incident.objects.exists() and not TimelineEvent.objects.exists()


def test_unconfirmed_definition_can_be_confirmed(commander_user, outage, sev2):
    response = client_for(commander_user).post(
        API, declaration(exceeds_one_hour=False, confirm_definition=True), format="json"
    )
    assert response.status_code == 201
    assert response.json()["meets_definition"] is False


@pytest.mark.parametrize(
    "path, body, field",
    [
        ("updates/", {"message": "   "}, "message"),
        ("updates/", {"message": "Found it", "status": "sleeping"}, "status"),
        ("status/", {}, "status"),
        ("severity/", {"severity": "SEV9"}, "severity"),
        ("resolve/", {"resolution": " "}, "resolution"),
        ("cancel/", {"reason": "bored"}, "reason"),
        ("cancel/", {"reason": "duplicate"}, "duplicate_of"),
        ("cancel/", {"reason": "duplicate", "duplicate_of": "INC-1999-0001"}, "duplicate_of"),
        ("notes/", {"text": ""}, "text"),
        ("exit-criteria/{criterion}/waive/", {"reason": " "}, "reason"),
        ("exit-criteria/{foreign}/check/", {}, "criterion"),
    ],
)
def test_bad_action_input_is_refused_and_nothing_changes(
    declare, commander_user, path, body, field
):
    incident, other = declare(), declare()
    before = snapshot(incident)
    url = API + incident.reference + "/"
    url += path.format(criterion=incident.criteria.first().pk, foreign=other.criteria.first().pk)

    response = client_for(commander_user).post(url, body, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert snapshot(incident) == before


def test_unknown_incident_and_criterion_paths_are_not_found(public_incident, commander_user):
    client = client_for(commander_user)
    assert client.get(f"{API}INC-1999-0001/").status_code == 404
    url = f"{API}{public_incident.reference}/exit-criteria/first/check/"
    assert client.post(url).status_code == 404


# --- The list -------------------------------------------------------------------------------


def test_list_query_count_does_not_grow_with_incidents(
    declare, declarer, stakeholder_user, responder_user, security_type
):
    client = client_for(stakeholder_user)
    people = {"commander": declarer, "responder": responder_user}

    def list_queries():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(API)
        assert response.status_code == 200
        return len(queries), response.json()["count"]

    declare(**people, invitees=[responder_user])
    declare(incident_type=security_type)
    single = list_queries()
    for _ in range(5):
        declare(**people, invitees=[responder_user, declarer])
    assert list_queries() == (single[0], 6)
    assert single[1] == 1


def test_list_filters(declare, commander_user, sev1, security_type):
    sev1_drill = declare(severity=sev1, is_drill=True)
    closed_one = declare(title="Search is slow")
    services.incident_cancel(incident=closed_one, actor=commander_user, reason="not_an_incident")
    declare(incident_type=security_type, is_private=False)
    client = client_for(commander_user)

    def references(**params):
        response = client.get(API, params)
        assert response.status_code == 200, response.content
        return sorted(row["reference"] for row in response.json()["results"])

    assert references(severity="SEV1") == [sev1_drill.reference]
    assert references(is_drill="true") == [sev1_drill.reference]
    assert references(active="false") == [closed_one.reference]
    assert references(status="cancelled") == [closed_one.reference]
    assert references(q="search") == [closed_one.reference]
    assert len(references(type="outage")) == 2
    assert client.get(API, {"severity": "SEV9"}).status_code == 400


# --- Idempotency keys -----------------------------------------------------------------------


def test_replayed_declaration_returns_the_first_response(commander_user, outage, sev2):
    client = client_for(commander_user)
    first = client.post(API, declaration(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post(API, declaration(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert Incident.objects.count() == 1 and TimelineEvent.objects.count() == 1


def test_key_reused_for_another_request_is_refused(public_incident, commander_user):
    client = client_for(commander_user)
    url = f"{API}{public_incident.reference}/updates/"
    client.post(url, {"message": "Looking"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    other_body = client.post(url, {"message": "Found"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    other_path = client.post(
        f"{API}{public_incident.reference}/notes/",
        {"message": "Looking"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )

    for refused in (other_body, other_path):
        assert refused.status_code == 422
        assert refused.json() == {
            "detail": "This Idempotency-Key was already used for a different request."
        }
    assert StatusUpdate.objects.count() == 1
    assert public_incident.timeline.filter(kind=TimelineKind.NOTE).count() == 0


def test_replayed_action_does_not_repeat_it(public_incident, commander_user):
    client = client_for(commander_user)
    url = f"{API}{public_incident.reference}/acknowledge/"
    first = client.post(url, HTTP_IDEMPOTENCY_KEY="ack-1")
    again = client.post(url, HTTP_IDEMPOTENCY_KEY="ack-1")
    without_key = client.post(url)

    assert first.status_code == again.status_code == 200 and again.json() == first.json()
    assert without_key.status_code == 409
    assert public_incident.timeline.filter(kind=TimelineKind.ACKNOWLEDGED).count() == 1


def test_concurrent_request_with_the_same_key_is_rolled_back(public_incident, commander_user):
    url = f"{API}{public_incident.reference}/acknowledge/"
    winner = IdempotencyKey.objects.create(
        user=commander_user,
        key="ack-1",
        method="POST",
        path=url,
        request_hash=idempotency._request_hash(SimpleNamespace(data={})),
        response_status=200,
        response_body={"reference": public_incident.reference},
    )
    # The winner commits after this request looked for the key and before it stores its own.
    with mock.patch.object(idempotency, "_stored", side_effect=[None, winner]):
        response = client_for(commander_user).post(url, HTTP_IDEMPOTENCY_KEY="ack-1")

    assert (response.status_code, response.json()) == (200, winner.response_body)
    assert not public_incident.timeline.filter(kind=TimelineKind.ACKNOWLEDGED).exists()


def test_refused_request_leaves_its_key_free(commander_user, outage, sev2):
    client = client_for(commander_user)
    refused = client.post(API, declaration(title=""), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    fixed = client.post(API, declaration(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert (refused.status_code, fixed.status_code) == (400, 201)
    assert IdempotencyKey.objects.get().response_status == 201


def test_keys_belong_to_their_user(commander_user, responder_user, outage, sev2):
    for user in (commander_user, responder_user):
        response = client_for(user).post(
            API, declaration(), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
        )
        assert response.status_code == 201
    assert Incident.objects.count() == 2


def test_overlong_key_is_refused(commander_user, outage, sev2):
    response = client_for(commander_user).post(
        API, declaration(), format="json", HTTP_IDEMPOTENCY_KEY="k" * 256
    )
    assert response.status_code == 400
    assert not Incident.objects.exists()


def test_a_key_is_unique_per_user_in_the_database(commander_user):
    fields = {
        "user": commander_user,
        "key": "k-1",
        "method": "POST",
        "path": API,
        "request_hash": "0" * 64,
        "response_status": 201,
        "response_body": {},
    }
    IdempotencyKey.objects.create(**fields)
    with pytest.raises(IntegrityError):
        IdempotencyKey.objects.create(**fields)


# --- Over the wire --------------------------------------------------------------------------


def test_openapi_schema_is_served(client):
    client.force_login(factories.UserFactory())
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = json.loads(response.content)["paths"]
    assert "/api/v1/incidents/{reference}/exit-criteria/{criterion_id}/waive/" in paths


@pytest.mark.django_db(transaction=True)
def test_declare_and_acknowledge_over_http(live_server, commander_user, outage, sev2):
    _token, token = services.api_token_create(user=commander_user, actor=commander_user)
    # No proxy: the request must go straight to the loopback server.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def call(path, body=None, **headers):
        request = urllib.request.Request(
            live_server.url + path,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json", **headers},
            method="GET" if body is None else "POST",
        )
        try:
            with opener.open(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    auth = {"Authorization": f"Token {token}"}
    assert call(API)[0] == 401
    status, declared = call(API, declaration(), **auth, **{"Idempotency-Key": "wire-1"})
    assert status == 201
    assert call(API, declaration(), **auth, **{"Idempotency-Key": "wire-1"}) == (201, declared)
    status, acknowledged = call(f"{API}{declared['reference']}/acknowledge/", {}, **auth)
    assert status == 200
    assert (acknowledged["status"], acknowledged["acknowledged_by"]) == ("investigating", "cora")
    assert Incident.objects.count() == 1
