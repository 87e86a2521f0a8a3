"""Slack over real HTTP: signed requests, as Slack sends them, to the running server; the Web
API is the local fake. Tasks run eagerly in the server's thread: the submission is
answered "Declaring…", then the declaration (from its inbox row) and its response plan run and
the modal is updated with the reference."""

import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

import pytest
import requests

from incidents.models import Incident
from slackbot.declare import todays_channel
from slackbot.tests.slack_requests import SECRET, submission

ADMINS = "S0ADMINS"


@pytest.fixture
def slack(live_server, fake_slack, settings, commander_user, responder_user):
    settings.SLACK_SIGNING_SECRET = SECRET
    settings.SLACK_ADMIN_USERGROUP = ADMINS
    settings.BEACON_BASE_URL = "https://beacon.internal.example.com"  # a topic too long for Slack
    fake_slack.add_user("U0CORA", "cora", commander_user.email)
    fake_slack.add_user("U0RUDY", "rudy", responder_user.email)
    fake_slack.add_user("U0ADA", "ada", "ada@example.com")  # an admin with no Beacon account
    fake_slack.add_usergroup(ADMINS, "incident-admins", ["U0ADA"])
    return fake_slack


def post(live_server, path, fields, *, secret=SECRET):
    """A form POST signed the way Slack signs it (v0: HMAC-SHA256 of version:timestamp:body)."""
    body = urlencode(fields)
    timestamp = str(int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": f"v0={digest.hexdigest()}",
    }
    return requests.post(f"{live_server.url}{path}", data=body, headers=headers, timeout=10)


def declare(live_server, slack, **answers):
    """`/incident declare`, then the modal Beacon opened, filled in and submitted."""
    command = {
        "command": "/incident",
        "text": "declare",
        "user_id": "U0CORA",
        "channel_id": "C0GENERAL",
        "trigger_id": "trigger-1",
        "response_url": "http://127.0.0.1:9/response",
    }
    opened = post(live_server, "/slack/commands/", command)
    assert opened.status_code == 200 and opened.json() == {}
    view = slack.last_view()
    payload = submission(view, answers, view_id=view["id"])
    response = post(live_server, "/slack/interactivity/", {"payload": json.dumps(payload)})
    assert response.status_code == 200
    assert response.json()["response_action"] == "update", response.json()
    assert "Declaring" in json.dumps(response.json())
    # The task is queued once the answer is sent: the modal shows the reference soon after.
    deadline = time.monotonic() + 10
    while "is declared" not in json.dumps(slack.views[view["id"]]):
        assert time.monotonic() < deadline, slack.views[view["id"]]
        time.sleep(0.02)
    incident = Incident.objects.get(channel_name=todays_channel(answers["name"]))
    assert incident.reference in json.dumps(slack.views[view["id"]])
    return incident


def answers(incident_type, severity, **changes):
    return {
        "title": "Checkout is failing for every customer in the EU. " * 4,  # 200 characters
        "name": "checkout-502",
        "incident_type": incident_type.pk,
        "severity": severity.pk,
        "impact_level": "high",
        "urgency": "high",
        "commander": "U0CORA",
        "responder": "U0RUDY",
        "definition": ["affects_customers", "unplanned", "exceeds_one_hour"],
        **changes,
    }


def plan_calls(slack):
    """The Web API methods the response plan called, in order (from the channel's creation)."""
    methods = [method for method, _params in slack.calls()]
    return methods[methods.index("conversations.create") :]


def test_a_declaration_over_http_creates_invites_and_broadcasts(live_server, slack, outage, sev2):
    incident = declare(live_server, slack, **answers(outage, sev2))

    channel = slack.channel_by_name(incident.channel_name)
    assert incident.channel_name == todays_channel("checkout-502") and not channel.is_private
    assert plan_calls(slack) == [
        "conversations.create",
        "conversations.setTopic",
        "conversations.setPurpose",
        # Cora and Rudy were linked by their e-mail when the modal named them: invited by id.
        "usergroups.users.list",
        "conversations.invite",
        "chat.postMessage",
        "chat.postMessage",
        "views.update",  # the declarer's modal shows the reference (after commit, as the plan)
    ]
    assert {"U0CORA", "U0RUDY", "U0ADA"} <= channel.members
    assert channel.topic.startswith(f"SEV2 · {incident.title}") and len(channel.topic) == 250
    link = f"<#{channel.id}|{incident.channel_name}>"
    [broadcast] = slack.messages("incidents")
    assert link in broadcast.text


def test_a_security_incident_gets_a_private_channel(live_server, slack, security_type, sev2):
    incident = declare(live_server, slack, **answers(security_type, sev2, private=["yes"]))

    channel = slack.channel_by_name(incident.channel_name)
    assert incident.is_private and channel.is_private
    assert {"U0CORA", "U0RUDY", "U0ADA"} <= channel.members
    # Not broadcast beyond the responders: only the incident's own channel hears of it.
    assert not slack.messages("incidents")
    [message] = slack.messages(channel.id)
    assert f"<#{channel.id}|{incident.channel_name}>" in message.text


def test_a_bad_signature_is_refused_over_http(live_server, slack):
    response = post(live_server, "/slack/commands/", {"text": "help"}, secret="wrong")
    assert response.status_code == 401
    assert not slack.calls()


def test_the_security_type_alone_makes_the_channel_private(live_server, slack, security_type, sev2):
    incident = declare(live_server, slack, **answers(security_type, sev2))
    assert incident.is_private and slack.channel_by_name(incident.channel_name).is_private
