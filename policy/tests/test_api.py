"""The response policy and the priority matrix on the API: who may do what, in which state, and
what a refusal answers."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from incidents.tests import factories
from policy import services as policy_services
from policy.models import PolicyEvent, PolicySignOff, PolicyStatus, PolicyVersion
from policy.tests import factories as pf

pytestmark = pytest.mark.django_db

API = "/api/v1/policies/"
MATRIX = "/api/v1/priority-matrix/"


def client_for(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def w():
    return pf.world()


@pytest.fixture
def severities(sev1, sev2):
    return [sev1, sev2]


@pytest.fixture
def v1(w, severities):
    version = pf.draft(w.mona, severities, cadence={"SEV1": 15, "SEV2": 60})
    return pf.make_effective(version, w.mona, w.signers)


@pytest.fixture
def v2(w, v1):
    return policy_services.policy_draft_create(actor=w.mona, summary="Next")


def snapshot():
    """What a refused request must leave untouched."""
    return (
        list(PolicyVersion.objects.order_by("number").values_list("number", "status")),
        PolicySignOff.objects.count(),
        PolicyEvent.objects.count(),
        list(PolicyVersion.objects.values_list("levels__update_cadence_minutes", flat=True)),
    )


# --- Who may do what ------------------------------------------------------------------------

# (method, path, body, state v2 must be in first)
ENDPOINTS = {
    "list": ("get", "", None, "draft"),
    "retrieve": ("get", "2/", None, "draft"),
    "effective": ("get", "effective/", None, "draft"),
    "create": ("post", "", {"summary": "Another"}, "draft"),
    "levels": ("post", "2/levels/", {"severity": "SEV1", "update_cadence_minutes": 10}, "draft"),
    "submit": ("post", "2/submit/", {}, "draft"),
    "sign-off": ("post", "2/sign-off/", {"team": "payments"}, "in_review"),
    "reject": ("post", "2/reject/", {"reason": "Too slow"}, "in_review"),
}
# member: Paul (Payments, not a lead); manager: Mona (may change policy versions, leads no team);
# lead: Pat (leads Payments, which signs off); other lead: Gina (leads Growth, which does not).
EXPECTED = {
    "anonymous": (401, 401, 401, 401, 401, 401, 401, 401),
    "member": (200, 200, 200, 403, 403, 403, 403, 403),
    "manager": (200, 200, 200, 201, 200, 200, 403, 403),
    "lead": (200, 200, 200, 403, 403, 403, 200, 200),
    "other_lead": (200, 200, 200, 403, 403, 403, 403, 403),
}
ROLE_MATRIX = [
    pytest.param(role, endpoint, code, id=f"{role}-{endpoint}-{code}")
    for role, codes in EXPECTED.items()
    for endpoint, code in zip(ENDPOINTS, codes, strict=True)
]


def user_in_role(w, role):
    return {
        "anonymous": None,
        "member": w.paul,
        "manager": w.mona,
        "lead": w.pat,
        "other_lead": w.gina,
    }[role]


@pytest.mark.parametrize("role, endpoint, expected", ROLE_MATRIX)
def test_permission_matrix(role, endpoint, expected, w, v2):
    method, path, body, state = ENDPOINTS[endpoint]
    if state == "in_review":
        policy_services.policy_submit(actor=w.mona, version=v2)
    before = snapshot()

    response = getattr(client_for(user_in_role(w, role)), method)(API + path, body, format="json")

    assert response.status_code == expected, response.content
    if expected >= 400:
        assert snapshot() == before


def _put_v2_in(state, w, v2):
    if state in ("in_review", "effective", "superseded"):
        policy_services.policy_submit(actor=w.mona, version=v2)
    if state in ("effective", "superseded"):
        for lead, team in w.signers:
            policy_services.policy_sign_off(actor=lead, version=v2, team=team)
    if state == "superseded":
        v3 = policy_services.policy_draft_create(actor=w.mona)
        pf.make_effective(v3, w.mona, w.signers)


# The entitled actor for each action: what the version's status allows.
STATE_EXPECTED = {
    "levels": ("mona", {"severity": "SEV1", "ack_target_minutes": 2}, (200, 409, 409, 409)),
    "submit": ("mona", {}, (200, 409, 409, 409)),
    "sign-off": ("pat", {"team": "payments"}, (409, 200, 409, 409)),
    "reject": ("pat", {"reason": "No"}, (409, 200, 409, 409)),
}
STATES = ("draft", "in_review", "effective", "superseded")
STATE_MATRIX = [
    pytest.param(endpoint, state, code, id=f"{endpoint}-{state}-{code}")
    for endpoint, (_actor, _body, codes) in STATE_EXPECTED.items()
    for state, code in zip(STATES, codes, strict=True)
]


@pytest.mark.parametrize("endpoint, state, expected", STATE_MATRIX)
def test_status_matrix(endpoint, state, expected, w, v2):
    actor, body, _codes = STATE_EXPECTED[endpoint]
    _put_v2_in(state, w, v2)
    before = snapshot()

    response = client_for(getattr(w, actor)).post(f"{API}2/{endpoint}/", body, format="json")

    assert response.status_code == expected, response.content
    if expected == 409:
        assert response.json()["detail"]
        assert snapshot() == before


# --- Reading --------------------------------------------------------------------------------


def test_list_shows_versions_with_sign_off_progress(w, v1, v2):
    policy_services.policy_submit(actor=w.mona, version=v2)
    policy_services.policy_sign_off(actor=w.cora, version=v2, team=w.platform, comment="OK")

    body = client_for(w.paul).get(API).json()

    assert [(row["number"], row["status"]) for row in body["results"]] == [
        (2, "in_review"),
        (1, "effective"),
    ]
    progress = body["results"][0]["sign_off_progress"]
    assert progress["required"] == ["payments", "platform"]
    assert progress["missing"] == ["payments"]
    assert (progress["done"], progress["total"], progress["complete"]) == (1, 2, False)
    assert progress["signed"][0] == {
        "team": "platform",
        "user": "cora",
        "signed_at": progress["signed"][0]["signed_at"],
        "comment": "OK",
    }


def test_list_takes_a_constant_number_of_queries(w, v1):
    client = client_for(w.paul)
    with CaptureQueriesContext(connection) as few:
        client.get(API)
    for _ in range(4):
        version = policy_services.policy_draft_create(actor=w.mona)
    policy_services.policy_submit(actor=w.mona, version=version)
    policy_services.policy_sign_off(actor=w.pat, version=version, team=w.payments)
    with CaptureQueriesContext(connection) as many:
        assert client.get(API).json()["count"] == 5
    assert len(many) == len(few)


def test_retrieve_shows_levels_and_history(w, v1):
    body = client_for(w.paul).get(f"{API}1/").json()

    levels = {level["severity"]: level for level in body["levels"]}
    assert levels["SEV1"]["update_cadence_minutes"] == 15
    assert levels["SEV2"]["audiences"] == ["responders", "stakeholders"]
    assert [event["kind"] for event in body["events"]][-3:] == [
        "signed_off",
        "signed_off",
        "effective",
    ]


def test_effective_is_the_version_in_force(w, v1, v2):
    assert client_for(w.paul).get(f"{API}effective/").json()["number"] == 1


def test_effective_answers_404_before_any_policy_is_agreed(w):
    response = client_for(w.paul).get(f"{API}effective/")
    assert response.status_code == 404


def test_unknown_version_is_404(w):
    assert client_for(w.paul).get(f"{API}9/").status_code == 404


# --- Changing -------------------------------------------------------------------------------


def test_create_copies_the_version_in_force_or_the_one_named(w, v1, v2):
    policy_services.policy_level_set(
        actor=w.mona, version=v2, severity=v2.levels.first().severity, ack_target_minutes=1
    )
    manager = client_for(w.mona)

    from_effective = manager.post(API, {}, format="json").json()
    from_v2 = manager.post(API, {"copy_from": 2, "summary": "From 2"}, format="json").json()

    assert from_effective["number"] == 3 and from_effective["author"] == "mona"
    assert {lvl["ack_target_minutes"] for lvl in from_effective["levels"]} == {15}
    assert {lvl["ack_target_minutes"] for lvl in from_v2["levels"]} == {1, 15}
    assert from_v2["summary"] == "From 2"


def test_a_cadence_of_zero_is_a_400_with_the_field_message(w, v2):
    before = snapshot()
    response = client_for(w.mona).post(
        f"{API}2/levels/", {"severity": "SEV1", "update_cadence_minutes": 0}, format="json"
    )
    assert response.status_code == 400
    assert "at least 1 minute" in response.json()["update_cadence_minutes"][0]
    assert snapshot() == before


def test_levels_sets_every_field_of_a_level(w, v2):
    factories.PriorityFactory(name="P1", rank=1)
    body = {
        "severity": "SEV1",
        "ack_target_minutes": 5,
        "update_cadence_minutes": 30,
        "page_wait_limit_minutes": 3,
        "paged_functions": ["incident-commander", "communications-lead"],
        "audiences": ["executives", "customers"],
        "staffing_model": "business_hours",
        "max_continuous_hours": 6,
        "expected_people": 4,
        "postmortem_required": True,
        "postmortem_due_days": 3,
        "followup_priority": "P1",
        "followup_due_days": 7,
        "inform_leadership": True,
        "ack_chain": [
            {"after_minutes": 0, "notify": "commander"},
            {"after_minutes": 5, "notify": "next_delegate"},
            {"after_minutes": 8, "notify": "holder", "function": "communications-lead"},
            {"after_minutes": 10, "notify": "executive"},
        ],
        "ack_repeat_minutes": 15,
        "ack_rounds": 3,
        "update_chain": [{"after_minutes": 0, "notify": "commander"}],
        "update_repeat_minutes": 20,
    }
    response = client_for(w.mona).post(f"{API}2/levels/", body, format="json")
    assert response.status_code == 200, response.content
    level = response.json()
    assert sorted(level["paged_functions"]) == body["paged_functions"][::-1]
    # A stage's function is always in the answer: null where the stage names none.
    for chain in ("ack_chain", "update_chain"):
        body[chain] = [{"function": None, **stage} for stage in body[chain]]
    assert {k: v for k, v in level.items() if k != "paged_functions"} == {
        k: v for k, v in body.items() if k != "paged_functions"
    }


@pytest.mark.parametrize(
    "body, field",
    [
        ({"severity": "SEV9", "ack_target_minutes": 5}, "severity"),
        ({"severity": "SEV1", "audiences": ["press"]}, "audiences"),
        ({"severity": "SEV1", "max_continuous_hours": 30}, "max_continuous_hours"),
        ({"severity": "SEV1", "staffing_model": "never"}, "staffing_model"),
        ({"severity": "SEV1", "page_wait_limit_minutes": 0}, "page_wait_limit_minutes"),
        ({"severity": "SEV1", "paged_functions": ["astrologer"]}, "paged_functions"),
        ({"severity": "SEV1", "ack_rounds": 0}, "ack_rounds"),
        ({"severity": "SEV1", "ack_repeat_minutes": 0}, "ack_repeat_minutes"),
        ({"severity": "SEV1", "update_repeat_minutes": -5}, "update_repeat_minutes"),
        (
            {"severity": "SEV1", "ack_chain": [{"after_minutes": -1, "notify": "commander"}]},
            "ack_chain",
        ),
        (
            {
                "severity": "SEV1",
                "update_chain": [
                    {"after_minutes": 10, "notify": "commander"},
                    {"after_minutes": 5, "notify": "executive"},
                ],
            },
            "update_chain",
        ),
        ({"severity": "SEV1", "ack_chain": [{"after_minutes": 0, "notify": "mum"}]}, "ack_chain"),
        (
            {"severity": "SEV1", "ack_chain": [{"after_minutes": 0, "notify": "holder"}]},
            "ack_chain",
        ),
    ],
)
def test_bad_levels_are_400_with_field_errors(w, v2, body, field):
    response = client_for(w.mona).post(f"{API}2/levels/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_submitting_a_draft_missing_a_level_is_a_400(w, severities):
    version = pf.draft(w.mona, severities[:1])
    response = client_for(w.mona).post(f"{API}{version.number}/submit/", {}, format="json")
    assert response.status_code == 400
    assert response.json() == {"levels": ["SEV2 has no level yet."]}


def test_sign_off_refusals_say_why(w, v2):
    policy_services.policy_submit(actor=w.mona, version=v2)
    pat, gina = client_for(w.pat), client_for(w.gina)

    not_a_lead = pat.post(f"{API}2/sign-off/", {"team": "platform"}, format="json")
    not_signing = gina.post(f"{API}2/sign-off/", {"team": "growth"}, format="json")
    unknown = pat.post(f"{API}2/sign-off/", {"team": "nope"}, format="json")

    assert not_a_lead.status_code == 403
    assert not_a_lead.json()["detail"].startswith("You are not a lead of Platform")
    assert not_signing.status_code == 400
    assert not_signing.json() == {"team": ["Growth does not sign off the response policy."]}
    assert unknown.status_code == 400
    assert pat.post(f"{API}2/sign-off/", {"team": "payments"}, format="json").status_code == 200
    again = pat.post(f"{API}2/sign-off/", {"team": "payments"}, format="json")
    assert again.status_code == 409
    assert "already signed off" in again.json()["detail"]


def test_the_last_sign_off_through_the_api_makes_the_version_effective(w, v1, v2):
    policy_services.policy_submit(actor=w.mona, version=v2)
    client_for(w.cora).post(f"{API}2/sign-off/", {"team": "platform"}, format="json")

    response = client_for(w.pat).post(
        f"{API}2/sign-off/", {"team": "payments", "comment": "Agreed"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["status"] == PolicyStatus.EFFECTIVE
    assert response.json()["sign_off_progress"]["complete"] is True
    assert client_for(w.paul).get(f"{API}effective/").json()["number"] == 2
    assert client_for(w.paul).get(f"{API}1/").json()["status"] == "superseded"


def test_author_alone_approval_is_a_403_and_stores_nothing(w, severities):
    w.payments.signs_off_policy = False
    w.payments.save()
    cora = pf.grant(w.cora, "change_policyversion")
    version = pf.draft(cora, severities)
    policy_services.policy_submit(actor=cora, version=version)
    before = snapshot()

    response = client_for(cora).post(f"{API}1/sign-off/", {"team": "platform"}, format="json")

    assert response.status_code == 403
    assert response.json() == {
        "detail": "A policy version needs a sign-off from someone other than its author."
    }
    assert snapshot() == before


def test_reject_without_a_reason_is_a_400(w, v2):
    policy_services.policy_submit(actor=w.mona, version=v2)
    response = client_for(w.pat).post(f"{API}2/reject/", {"reason": ""}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()


def test_a_retried_sign_off_is_answered_from_the_first(w, v2):
    policy_services.policy_submit(actor=w.mona, version=v2)
    pat = client_for(w.pat)
    headers = {"Idempotency-Key": "sign-v2"}
    first = pat.post(f"{API}2/sign-off/", {"team": "payments"}, format="json", headers=headers)
    again = pat.post(f"{API}2/sign-off/", {"team": "payments"}, format="json", headers=headers)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert v2.sign_offs.count() == 1


# --- Priority matrix ------------------------------------------------------------------------


@pytest.fixture
def matrix(w):
    p1, p2, p3 = (factories.PriorityFactory(name=f"P{n}", rank=n) for n in (1, 2, 3))
    for impact, urgency, priority in [
        ("high", "high", p1),
        ("high", "low", p2),
        ("low", "low", p3),
    ]:
        policy_services.priority_matrix_set(
            actor=w.mona, impact=impact, urgency=urgency, priority=priority
        )


def test_matrix_lists_its_cells(w, matrix):
    cells = client_for(w.paul).get(MATRIX).json()
    assert {(c["impact"], c["urgency"]): c["priority"] for c in cells} == {
        ("high", "high"): "P1",
        ("high", "low"): "P2",
        ("low", "low"): "P3",
    }


def test_matrix_suggests_a_priority(w, matrix):
    client = client_for(w.paul)
    assert client.get(f"{MATRIX}suggest/", {"impact": "high", "urgency": "low"}).json() == {
        "impact": "high",
        "urgency": "low",
        "priority": "P2",
    }
    unset = client.get(f"{MATRIX}suggest/", {"impact": "medium", "urgency": "low"}).json()
    assert unset["priority"] is None
    bad = client.get(f"{MATRIX}suggest/", {"impact": "huge"})
    assert bad.status_code == 400
    assert set(bad.json()) == {"impact", "urgency"}


def test_matrix_cells_are_set_by_those_allowed(w, matrix):
    body = {"impact": "high", "urgency": "low", "priority": "P1"}
    assert client_for(w.paul).post(MATRIX, body, format="json").status_code == 403
    assert client_for(w.mona).post(MATRIX, body, format="json").json()["priority"] == "P1"
    assert client_for(None).get(MATRIX).status_code == 401


# --- Declaration with the matrix and a team -------------------------------------------------


def test_declare_through_the_api_uses_the_matrix_and_records_the_policy(w, v1, matrix, outage):
    client = client_for(w.cora)
    body = {
        "title": "Payments down",
        "incident_type": "outage",
        "severity": "SEV1",
        "affects_customers": True,
        "unplanned": True,
        "exceeds_one_hour": True,
        "impact_level": "high",
        "urgency": "low",
        "team": "payments",
    }

    suggested = client.post("/api/v1/incidents/", body, format="json")
    overridden = client.post(
        "/api/v1/incidents/", {**body, "title": "Again", "priority": "P1"}, format="json"
    )
    explained = client.post(
        "/api/v1/incidents/",
        {**body, "title": "Again", "priority": "P1", "priority_override_reason": "Black Friday"},
        format="json",
    )

    assert suggested.status_code == 201, suggested.content
    incident = suggested.json()
    assert (incident["priority"], incident["team"], incident["policy_version"]) == (
        "P2",
        "payments",
        1,
    )
    assert (incident["impact_level"], incident["urgency"]) == ("high", "low")
    assert overridden.status_code == 400
    assert "P2" in overridden.json()["priority_override_reason"][0]
    assert explained.status_code == 201
    assert explained.json()["priority_override_reason"] == "Black Friday"
