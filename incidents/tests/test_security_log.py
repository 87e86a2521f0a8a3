"""The security log (logger `beacon.security`): one key=value line per failed login, lockout,
login, denied API request and token event, naming who (user, username tried or token
prefix), from where (ip) and what (path), and never any incident content."""

import logging

import pytest
from django.test import Client
from rest_framework.test import APIClient

from incidents.tests import factories
from incidents.tests.security_lines import events, parse
from slackbot.tests.slack_requests import SECRET, signed_headers

pytestmark = pytest.mark.django_db


API = "/api/v1/incidents/"
SECRET_TITLE = "Merger talks leaked"


def test_the_security_log_has_a_handler_of_its_own():
    logger = logging.getLogger("beacon.security")
    assert logger.handlers and not logger.propagate


def test_a_failed_login_names_the_username_tried_the_ip_and_the_path(client, security_log):
    factories.commander(username="cora")
    client.post("/accounts/login/", {"username": "cora", "password": "hunter2"})
    (failed,) = events(security_log, "login_failed")
    assert (failed["username"], failed["ip"], failed["path"]) == (
        "cora",
        "127.0.0.1",
        "/accounts/login/",
    )
    assert not any("hunter2" in line for line in security_log)


def test_a_lockout_and_a_login_are_logged(client, security_log):
    factories.commander(username="cora")
    client.post("/accounts/login/", {"username": "cora", "password": "pass-word-123"})
    (ok,) = events(security_log, "login_ok")
    assert (ok["user"], ok["ip"]) == ("cora", "127.0.0.1")

    for _ in range(5):
        client.post("/admin/login/", {"username": "cora", "password": "wrong"})
    (locked,) = events(security_log, "locked_out")
    assert (locked["username"], locked["ip"], locked["path"]) == (
        "cora",
        "127.0.0.1",
        "/admin/login/",
    )


def test_what_someone_types_cannot_forge_a_log_line(client, security_log):
    client.post("/accounts/login/", {"username": 'x\nevent=login_ok user="admin"', "password": "p"})
    (line,) = security_log
    assert "\n" not in line
    assert parse(line)["event"] == "login_failed"
    assert parse(line)["username"] == 'x\nevent=login_ok user="admin"'


def test_denied_api_requests_are_logged_without_incident_content(
    security_log, outage, sev2, stakeholder_user, commander_user, settings
):
    body = {
        "title": SECRET_TITLE,
        "summary": SECRET_TITLE,
        "incident_type": "outage",
        "severity": "SEV2",
        "affects_customers": True,
        "unplanned": True,
        "exceeds_one_hour": True,
    }
    assert APIClient().post(API, body, format="json").status_code == 401
    stella = APIClient()
    stella.force_authenticate(stakeholder_user)
    assert stella.post(API, body, format="json").status_code == 403

    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "declare": "2/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    cora = APIClient()
    cora.force_authenticate(commander_user)
    assert cora.post(API, {**body, "severity": "nope"}, format="json").status_code == 400
    assert cora.post(API, body, format="json").status_code == 201
    assert cora.post(API, body, format="json").status_code == 429

    denied = events(security_log, "api_denied")
    assert [(e["status"], e["user"]) for e in denied] == [
        ("401", "-"),
        ("403", "stella"),
        ("429", "cora"),
    ]
    assert {(e["ip"], e["path"]) for e in denied} == {("127.0.0.1", API)}
    assert not any(SECRET_TITLE in line for line in security_log)


def test_a_throttled_slack_request_is_logged(security_log, settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "slack": "1/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    settings.SLACK_SIGNING_SECRET = SECRET  # only signed requests are counted
    client = Client()
    body = f"team_id=T0BEACON&user_id=U0CORA&text={SECRET_TITLE}"
    for _ in range(2):
        client.post(
            "/slack/commands/",
            body,
            content_type="application/x-www-form-urlencoded",
            **signed_headers(body),
        )
    (throttled,) = events(security_log, "slack_throttled")
    assert throttled["slack_user"] == "T0BEACON:U0CORA"
    assert throttled["path"] == "/slack/commands/"
    assert not any(SECRET_TITLE in line for line in security_log)
