"""Property: whatever Slack-signed request reaches the Slack endpoints — commands, interactions
of any JSON shape (view submissions and button clicks with random state), events — the answer
is never a 5xx. The test client re-raises a view's exception, so a crash fails as well.

Most examples are nearly right (the modals Beacon opened, submitted with a few answers
replaced), so they reach the handlers and the services rather than stopping at the first
shape check; the rest are any JSON at all."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slackbot.tests.slack_requests import (
    SECRET,
    command,
    post_form,
    signed_headers,
    state_of,
)

pytestmark = pytest.mark.django_db

EXAMPLES = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

NASTY = ["", " ", "\x00", "a\x00b", "\ud800", "\x1b[2J", "²", "9" * 30, "-1", "<!channel>"]
USERS = ["U0CORA", "U0STELLA", "U0CORA", "U0NOBODY"]
ANSWERS = ["high", "low", "yes", "keep", "identified", "resolved", "affects_customers"]

words = st.text(max_size=20) | st.sampled_from(NASTY)
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | words
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(words, inner, max_size=3),
    max_leaves=8,
)


def spoiled(payloads):
    """A payload with one of its top-level values replaced by anything."""

    def spoil(payload, key, value):
        return {**payload, key: value}

    return payloads.flatmap(
        lambda p: st.builds(spoil, st.just(p), st.sampled_from(sorted(p)), json_values)
    )


@pytest.fixture
def world(client, fake_slack, settings, declare, commander_user, stakeholder_user, security_type):
    """An active incident with its channel and criteria, a private one, Slack users linked or
    not, and the three modals as Beacon opens them with answers that would be accepted."""
    settings.SLACK_SIGNING_SECRET = SECRET
    fake_slack.add_user("U0CORA", "cora", commander_user.email)
    fake_slack.add_user("U0STELLA", "stella", stakeholder_user.email)
    fake_slack.add_user("U0NOBODY", "nobody", "nobody@example.com")
    incident = declare()
    secret = declare(title="Leaked keys", incident_type=security_type)
    channel = fake_slack.add_channel(incident.channel_name, members=["U0CORA", "U0STELLA"])
    type(incident).objects.filter(pk=incident.pk).update(slack_channel_id=channel)
    views = {}
    for name in ("declare", "update", "resolve"):
        command(client, name, channel=channel)
        views[name] = fake_slack.last_view()
    criteria = incident.criteria.values_list("pk", flat=True)
    ids = [str(incident.pk), str(secret.pk), *map(str, criteria)]
    accepted = {
        "declare": {
            "title": "Checkout is failing",
            "name": "checkout",
            "incident_type": incident.incident_type_id,
            "severity": incident.severity_id,
            "impact_level": "high",
            "urgency": "high",
            "commander": "U0CORA",
            "responder": "U0STELLA",
            "definition": ["affects_customers", "unplanned", "exceeds_one_hour"],
        },
        "update": {"incident": incident.pk, "message": "Rolling back."},
        "resolve": {"incident": incident.pk, "resolution": "Rolled back."},
    }
    return {"channels": [channel, "C0GENERAL"], "ids": ids, "views": views, "accepted": accepted}


def answer(world):
    chosen = st.sampled_from(world["ids"] + ANSWERS + USERS + world["channels"])
    return st.one_of(chosen, st.lists(chosen, max_size=3), words, st.lists(words, max_size=2))


def submission(world):
    """One of Beacon's modals as it opened it, submitted with some answers replaced and
    perhaps one block's state bent out of shape."""

    def build(name, answers, bent, view_id):
        view = world["views"][name]
        state = state_of(view, {**world["accepted"][name], **answers})
        state["values"].update(bent)
        return {
            "type": "view_submission",
            "user": {"id": "U0CORA"},
            "view": {"id": view_id, "callback_id": view["callback_id"], "state": state},
        }

    names = st.sampled_from(["declare", "update", "resolve"])
    blocks = st.sampled_from(
        ["title", "name", "incident_type", "severity", "commander", "invitees", "services"]
        + ["broadcast", "incident", "channel", "resolution", "status", "message", "summary"]
    )
    answers = st.dictionaries(blocks, answer(world), max_size=3)
    bent = st.just({}) | st.dictionaries(blocks, json_values, max_size=1)
    view_ids = st.sampled_from(["V0001", "V0002", "V0003"])
    return st.builds(build, names, answers, bent, view_ids)


def click(world):
    action = st.fixed_dictionaries(
        {
            "action_id": st.sampled_from(["declare.name", "criteria.met", "ack.page"]),
            "value": st.sampled_from(world["ids"]) | words,
        }
    )
    return st.fixed_dictionaries(
        {
            "type": st.just("block_actions"),
            "user": st.fixed_dictionaries({"id": st.sampled_from(USERS)}),
            "channel": st.fixed_dictionaries({"id": st.sampled_from(world["channels"])}),
            "actions": st.lists(action, min_size=1, max_size=2),
            "view": st.just({"id": "V0001", "hash": "h"}),
        }
    )


def command_fields(world):
    subcommand = st.sampled_from(["help", "status", "criteria", "update", "resolve", "declare"])
    subcommand |= st.sampled_from(["link", "unlink", "role commander <@U0STELLA>", "role"])
    fields = st.fixed_dictionaries(
        {
            "text": st.tuples(subcommand, st.just("") | words).map(" ".join),
            "user_id": st.sampled_from(USERS),
            "channel_id": st.sampled_from(world["channels"]),
            "trigger_id": st.just("trigger-1"),
        }
    )
    return st.one_of(fields, spoiled(fields), st.dictionaries(words, words, max_size=4))


def never_a_server_error(response):
    assert response.status_code < 500, response.content


def test_commands_never_answer_5xx(client, world):
    @EXAMPLES
    @given(fields=command_fields(world))
    def check(fields):
        never_a_server_error(post_form(client, "/slack/commands/", fields))

    check()


def test_interactions_never_answer_5xx(client, world):
    payloads = submission(world) | click(world)

    @settings(parent=EXAMPLES, max_examples=150)
    @given(payload=st.one_of(payloads, spoiled(payloads), json_values))
    def check(payload):
        fields = {"payload": json.dumps(payload)}
        never_a_server_error(post_form(client, "/slack/interactivity/", fields))

    check()


def test_events_never_answer_5xx(client, world):
    @EXAMPLES
    @given(body=st.binary(max_size=40) | json_values.map(lambda v: json.dumps(v).encode()))
    def check(body):
        response = client.post(
            "/slack/events/", body, content_type="application/json", **signed_headers(body)
        )
        never_a_server_error(response)

    check()
