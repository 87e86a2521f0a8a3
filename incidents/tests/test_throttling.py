"""Throttles: the API per anonymous client IP and per user, a tighter scope for declaring, and
the Slack endpoints per Slack user. Each answers 429 with Retry-After; counts live in the
shared cache, so every web process sees the same ones."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import checks
from django.test import Client
from rest_framework.test import APIClient

from incidents.models import Incident
from incidents.throttling import rate_per_second
from slackbot.tests.slack_requests import SECRET, post_form, signed_headers

pytestmark = pytest.mark.django_db

API = "/api/v1/incidents/"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def rates(settings):
    """Set some throttle rates for one test; the others keep their defaults."""

    def _set(**scopes):
        framework = settings.REST_FRAMEWORK
        rates = {**framework["DEFAULT_THROTTLE_RATES"], **scopes}
        settings.REST_FRAMEWORK = {**framework, "DEFAULT_THROTTLE_RATES": rates}

    return _set


def api_as(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def assert_throttled(response):
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


def declaration(title="Checkout is failing"):
    return {
        "title": title,
        "incident_type": "outage",
        "severity": "SEV2",
        "affects_customers": True,
        "unplanned": True,
        "exceeds_one_hour": True,
    }


def test_anonymous_clients_are_throttled_per_ip(client, rates, settings):
    settings.BEACON_PUBLIC_API_DOCS = True  # the one API page an anonymous client may read
    rates(anon="3/min")
    assert [client.get("/api/docs/").status_code for _ in range(3)] == [200] * 3
    assert_throttled(client.get("/api/docs/"))
    assert Client(REMOTE_ADDR="198.51.100.20").get("/api/docs/").status_code == 200


def test_each_user_is_throttled_on_their_own_until_the_window_passes(
    rates, commander_user, responder_user
):
    rates(user="5/min")
    cora = api_as(commander_user)
    with time_machine.travel(START, tick=False) as clock:
        assert [cora.get(API).status_code for _ in range(5)] == [200] * 5
        response = cora.get(API)
        assert_throttled(response)
        assert response.json()["detail"]
        assert api_as(responder_user).get(API).status_code == 200
        clock.shift(timedelta(seconds=int(response["Retry-After"])))
        assert cora.get(API).status_code == 200


def test_declaring_has_a_tighter_scope_than_reading(rates, commander_user, outage, sev2):
    rates(user="20/min", declare="2/min")
    cora = api_as(commander_user)
    created = [cora.post(API, declaration(f"Outage {n}"), format="json") for n in range(2)]
    assert [response.status_code for response in created] == [201, 201]
    assert_throttled(cora.post(API, declaration("One too many"), format="json"))
    assert Incident.objects.count() == 2
    assert cora.get(API).status_code == 200  # reading is still allowed


def test_the_default_rates_are_tighter_for_declaring_than_for_anything_else(settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert rate_per_second(rates["declare"]) < rate_per_second(rates["user"])
    assert rate_per_second(rates["slack"]) < rate_per_second(rates["user"])


def test_a_malformed_rate_fails_the_system_check(rates):
    assert not [error for error in checks.run_checks() if error.id == "beacon.E001"]
    rates(declare="ten a minute")
    (error,) = [error for error in checks.run_checks() if error.id == "beacon.E001"]
    assert "declare" in error.msg and "ten a minute" in error.msg


# --- Slack ----------------------------------------------------------------------------------


@pytest.fixture
def slack(fake_slack, settings, commander_user, responder_user, rates):
    settings.SLACK_SIGNING_SECRET = SECRET
    fake_slack.add_user("U0CORA", "cora", commander_user.email)
    fake_slack.add_user("U0RUDY", "rudy", responder_user.email)
    rates(slack="3/min")
    return fake_slack


def slash(client, user, team="T0BEACON"):
    fields = {"command": "/incident", "text": "help", "team_id": team, "user_id": user}
    return post_form(client, "/slack/commands/", fields)


def interaction(client, user, team="T0BEACON"):
    payload = {"type": "block_actions", "team": {"id": team}, "user": {"id": user}, "actions": []}
    return post_form(client, "/slack/interactivity/", {"payload": json.dumps(payload)})


def event(client, body):
    raw = json.dumps(body)
    return client.post(
        "/slack/events/", raw, content_type="application/json", **signed_headers(raw)
    )


def test_slash_commands_are_throttled_per_slack_user(slack):
    # Slack posts from its own few addresses: the user in the body tells people apart.
    client = Client(enforce_csrf_checks=True)  # Slack sends no CSRF token: still exempt
    assert [slash(client, "U0CORA").status_code for _ in range(3)] == [200] * 3
    assert_throttled(slash(client, "U0CORA"))
    assert slash(client, "U0RUDY").status_code == 200
    assert slash(client, "U0CORA", team="T0OTHER").status_code == 200


def test_interactions_count_with_the_same_slack_user(slack):
    client = Client()
    assert [slash(client, "U0CORA").status_code for _ in range(2)] == [200] * 2
    assert interaction(client, "U0CORA").status_code == 200
    assert_throttled(interaction(client, "U0CORA"))
    assert_throttled(slash(client, "U0CORA"))
    assert interaction(client, "U0RUDY").status_code == 200


def test_events_are_throttled_by_team_and_user_else_by_ip(slack):
    client = Client()
    user_event = {"type": "event_callback", "team_id": "T0BEACON", "event": {"user": "U0CORA"}}
    assert [event(client, user_event).status_code for _ in range(3)] == [200] * 3
    assert_throttled(event(client, user_event))

    challenge = {"type": "url_verification", "challenge": "c"}
    assert [event(client, challenge).status_code for _ in range(3)] == [200] * 3
    assert_throttled(event(client, challenge))
    assert event(Client(REMOTE_ADDR="198.51.100.20"), challenge).status_code == 200


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b"payload=%7Bnot+json", "application/x-www-form-urlencoded"),
        (b'payload=["a","list"]', "application/x-www-form-urlencoded"),
        (b'payload={"user":"U0CORA","team":7}', "application/x-www-form-urlencoded"),
        (b"user_id=U0CORA%00&team_id=T0BEACON", "application/x-www-form-urlencoded"),
        (b"[1, 2]", "application/json"),
        (b'{"team_id": {"x": 1}, "event": "U0CORA"}', "application/json"),
        (b"--x\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--x--", "multipart/form-data"),
    ],
)
def test_any_body_is_counted_by_ip_when_it_names_no_slack_user(slack, body, content_type):
    """The throttle reads the body only to find a Slack user: a body of any other shape is
    keyed by IP, and what it means is left to the endpoint (its own answer is not tested
    here, only that the throttle neither fails on it nor blames a user)."""
    client = Client(raise_request_exception=False)
    path = "/slack/events/" if content_type == "application/json" else "/slack/commands/"
    if content_type.startswith("multipart"):
        content_type += "; boundary=x"
    headers = signed_headers(body.decode("latin-1"))
    statuses = [
        client.post(path, body, content_type=content_type, **headers).status_code for _ in range(4)
    ]
    assert statuses[3] == 429
    assert slash(Client(), "U0CORA").status_code == 200  # that user was never counted


def test_unsigned_requests_spend_nobody_s_allowance(slack):
    # The signature is checked first: a forged body naming a member cannot use up their rate.
    forged = {"command": "/incident", "text": "help", "team_id": "T0BEACON", "user_id": "U0CORA"}
    for _ in range(5):
        response = Client().post("/slack/commands/", forged)
        assert response.status_code == 401
    assert slash(Client(), "U0CORA").status_code == 200


def test_slacks_certificate_check_is_answered(slack):
    response = Client().post("/slack/commands/", {"ssl_check": "1", "token": "x"})
    assert response.status_code == 200 and response.content == b""


def test_the_throttle_does_not_need_a_user_to_exist(slack):
    # A signed request from a Slack user nobody linked is answered, and counted like others.
    client = Client()
    statuses = [slash(client, "U0NOBODY").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
