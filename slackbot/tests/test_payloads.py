"""Whatever reaches the Slack endpoints gets an answer, never a 500: unsigned or malformed
requests 401, signed ones of a shape Slack does not send 400 (or an ephemeral / modal message
where Slack shows one), and text with control characters never reaches the database."""

import json

import pytest

from incidents.models import Incident, StatusUpdate
from slackbot.models import SlackDeclaration
from slackbot.tests.slack_requests import (
    SECRET,
    command,
    declare_errors,
    interact,
    post_form,
    signed_headers,
    submission,
)

pytestmark = pytest.mark.django_db

ENDPOINTS = ["/slack/commands/", "/slack/interactivity/", "/slack/events/"]


@pytest.fixture
def slack(fake_slack, settings, commander_user, responder_user):
    settings.SLACK_SIGNING_SECRET = SECRET
    fake_slack.add_user("U0CORA", "cora", commander_user.email)
    fake_slack.add_user("U0RUDY", "rudy", responder_user.email)
    return fake_slack


def post_raw(client, path, body: bytes, headers):
    return client.post(path, body, content_type="application/x-www-form-urlencoded", **headers)


# --- unsigned or malformed: 401, before anything else ----------------------------------------


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize(
    "timestamp",
    [None, "", "abc", "9" * 400, "1e9", "-" + "9" * 5000],
    ids=["missing", "empty", "letters", "400 digits", "float", "5000 digits"],
)
def test_a_missing_or_malformed_timestamp_is_refused(client, slack, path, timestamp):
    # slack_sdk 3.48.0's SignatureVerifier.is_valid raises ValueError for "" and "abc" and
    # OverflowError for 400 digits instead of answering False.
    body = b"text=help&user_id=U0CORA"
    headers = {"HTTP_X_SLACK_SIGNATURE": "v0=" + "0" * 64}
    if timestamp is not None:
        headers["HTTP_X_SLACK_REQUEST_TIMESTAMP"] = timestamp
    assert post_raw(client, path, body, headers).status_code == 401
    assert not slack.calls()


@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_signed_body_that_is_not_utf8_is_refused(client, slack, path):
    body = b"text=\xff\xfe&user_id=U0CORA"
    assert post_raw(client, path, body, signed_headers(body)).status_code == 401


# --- signed, of an unexpected shape: 400 or a message ----------------------------------------


def test_a_command_without_a_user_is_refused(client, slack):
    response = post_form(client, "/slack/commands/", {"command": "/incident", "text": "status"})
    assert response.status_code == 400
    assert not slack.calls("users.info")


@pytest.mark.parametrize("user", ["", "cora", "U0CORA\x00", "U" * 200])
def test_a_command_from_a_malformed_user_id_is_refused(client, slack, user):
    assert command(client, "status", user=user).status_code == 400


def test_a_command_text_with_a_nul_byte_is_answered_ephemerally(client, slack):
    body = command(client, "role commander <@U0RUDY>\x00").json()
    assert body["response_type"] == "ephemeral" and "control characters" in body["text"]


@pytest.mark.parametrize(
    "payload",
    [
        "[1, 2]",
        '"view_submission"',
        "null",
        "{not json",
        json.dumps({"type": "view_submission", "user": "U0CORA"}),
        json.dumps({"type": "view_submission", "user": {"id": 7}}),
        json.dumps({"type": "block_actions", "user": {"id": "U0CORA"}, "channel": "C1"}),
        json.dumps({"type": "view_submission", "user": {"id": "U0CORA"}}),
        json.dumps({"type": "view_submission", "user": {"id": "U0CORA"}, "view": []}),
        json.dumps({"type": "block_actions", "user": {"id": "U0CORA"}, "actions": {"a": 1}}),
        json.dumps({"type": "block_actions", "user": {"id": "U0CORA"}, "actions": [7]}),
        json.dumps(
            {"type": "block_actions", "user": {"id": "U0CORA"}, "actions": [{"action_id": 7}]}
        ),
    ],
)
def test_an_interaction_of_an_unexpected_shape_is_a_400(client, slack, payload):
    response = post_form(client, "/slack/interactivity/", {"payload": payload})
    assert response.status_code == 400


def view_with_state(callback_id, values, view_id="V0001"):
    return {
        "type": "view_submission",
        "user": {"id": "U0CORA"},
        "view": {"id": view_id, "callback_id": callback_id, "state": {"values": values}},
    }


@pytest.mark.parametrize(
    "values",
    [
        "not an object",
        ["a list"],
        {"title": "not an object"},
        {"title": {"declare.title": ["not an object"]}},
        {"title": {"declare.title": {"type": "plain_text_input", "value": 42}}},
        {"severity": {"declare.severity": {"type": "static_select", "selected_option": "x"}}},
        {"services": {"s": {"type": "multi_static_select", "selected_options": "x"}}},
        {"services": {"s": {"type": "multi_static_select", "selected_options": [1]}}},
        {"invitees": {"i": {"type": "multi_users_select", "selected_users": [{"id": 1}]}}},
        # Of a kind the block does not have: several where the modal asks one, or the reverse.
        {"commander": {"c": {"type": "multi_users_select", "selected_users": ["U0CORA"]}}},
        {"title": {"t": {"type": "checkboxes", "selected_options": [{"value": "x"}]}}},
        {"invitees": {"i": {"type": "users_select", "selected_user": "U0CORA"}}},
        {"definition": {"d": {"type": "plain_text_input", "value": "unplanned"}}},
    ],
    ids=repr,
)
def test_modal_state_of_the_wrong_shape_is_a_400(client, slack, values):
    response = interact(client, view_with_state("declare", values))
    assert response.status_code == 400
    assert not Incident.objects.exists() and not SlackDeclaration.objects.exists()


def test_a_submission_of_an_unknown_modal_is_a_400(client, slack):
    response = interact(client, view_with_state("lottery", {}))
    assert response.status_code == 400


def test_a_click_on_an_unknown_button_is_a_400(client, slack):
    payload = {
        "type": "block_actions",
        "user": {"id": "U0CORA"},
        "actions": [{"action_id": "lottery.spin", "value": "1"}],
    }
    assert interact(client, payload).status_code == 400


def test_a_view_id_that_is_not_slacks_is_a_400(client, slack):
    response = interact(client, view_with_state("update", {}, view_id="V" + "1" * 300))
    assert response.status_code == 400


@pytest.mark.parametrize("body", ["not json", "[1]", '"text"', json.dumps({"type": 1})])
def test_an_event_body_of_an_unexpected_shape_is_a_400(client, slack, body):
    response = client.post(
        "/slack/events/", body, content_type="application/json", **signed_headers(body)
    )
    assert response.status_code == 400


# --- text with control characters: a modal field error, nothing stored -----------------------


def open_declare(client, slack):
    assert command(client, "declare").status_code == 200
    return slack.last_view()


@pytest.mark.parametrize("bad", ["\x00", "\x1b[31m", "\x7f", "\ud800"], ids=repr)
@pytest.mark.parametrize("block", ["title", "summary", "environments"])
def test_control_characters_in_modal_text_are_a_field_error(client, slack, answers, bad, block):
    view = open_declare(client, slack)
    body = interact(client, submission(view, answers(**{block: f"Checkout {bad}down"}))).json()
    assert body["response_action"] == "errors"
    assert "control characters" in body["errors"][block]
    assert not Incident.objects.exists()


def test_a_multiline_text_keeps_its_newlines(
    client, slack, answers, django_capture_on_commit_callbacks
):
    view = open_declare(client, slack)
    summary = "EU customers get 502.\nSince 10:02.\tStill failing."
    with django_capture_on_commit_callbacks(execute=True):  # the worker declares
        body = interact(client, submission(view, answers(summary=summary))).json()
    assert body["response_action"] == "update", body
    assert Incident.objects.get().summary == summary


@pytest.mark.parametrize("pk", ["²", "9" * 30, "-1", "1.5", " 1"], ids=repr)
def test_a_select_value_that_is_no_id_is_a_field_error(client, slack, answers, pk):
    view = open_declare(client, slack)
    errors = declare_errors(client, slack, submission(view, answers(incident_type=pk, severity=pk)))
    assert set(errors) == {"incident_type", "severity"}
    assert not Incident.objects.exists()


@pytest.mark.parametrize("pk", ["²", "9" * 30], ids=repr)
def test_an_incident_choice_that_is_no_id_asks_again(client, slack, declare, pk):
    declare()
    command(client, "update")
    payload = submission(slack.last_view(), {"incident": pk, "message": "Rolling back."})
    body = interact(client, payload).json()
    assert "Choose the incident" in body["errors"]["incident"]
    assert not StatusUpdate.objects.exists()


@pytest.mark.parametrize("value", ["²", "9" * 30], ids=repr)
def test_a_criterion_button_with_a_value_that_is_no_id_is_refused(client, slack, value):
    payload = {
        "type": "block_actions",
        "user": {"id": "U0CORA"},
        "channel": {"id": "C0GENERAL"},
        "actions": [{"action_id": "criteria.met", "value": value}],
    }
    assert interact(client, payload).status_code == 200


def test_a_view_id_answered_by_one_modal_is_not_replayed_into_another(
    client, slack, answers, declare
):
    incident = declare()
    view = open_declare(client, slack)
    assert interact(client, submission(view, answers())).json()["response_action"] == "update"
    command(client, "update")
    update = submission(slack.last_view(), {"incident": incident.pk, "message": "Rolling back."})
    body = interact(client, update).json()  # the same view id, "V0001"
    assert body["response_action"] == "update" and "is posted" in str(body)
    assert StatusUpdate.objects.filter(incident=incident).count() == 1
