"""No Slack answer, modal or picker shows a private incident to a member not granted access.

Every subcommand, every button prefix and every modal Beacon handles has a probe below, sent
as a signed request from a linked member's account, in a general channel and in the private
incident's own channel. What Beacon answers and every Web API call it makes meanwhile (views
it opens, ephemeral notes) must not name the incident, its reference or its channel. A new
subcommand, button or modal without a probe fails `test_every_slack_entry_has_a_probe`.
"""

import json

import pytest
from django.test import TestCase

from config.tests.leak_world import build_world, leaks
from incidents.services import slack_identity_link
from slackbot import commands, declare, interactivity
from slackbot.tests.slack_requests import SECRET, command, interact, post_form, submission
from slackbot.views import PICKERS

MEMBERS = {"outsider": "U0OTTO", "viewer": "U0VERA", "coordinator": "U0COLE", "revoked": "U0REX"}
GENERAL = "C0GENERAL"

# Subcommand -> the text typed after it (the private incident's reference is filled in).
COMMANDS = {
    "declare": "",
    "incident": "",
    "update": "",
    "resolve": "",
    "status": "",
    "role": "commander <@U0OTTO>",
    "criteria": "",
    "help": "",
    "link": "",
    "unlink": "",
}


def _declare_name_check(w):
    # Typing the private incident's channel name in the live name check of the declare modal.
    name = w.private.channel_name.removeprefix("inc_").rsplit("_", 1)[0]
    return {"action_id": "declare.name", "value": name}


# Button / live-input prefix -> the action a member could send about the private incident.
ACTIONS = {
    "declare": _declare_name_check,
    "criteria": lambda w: {"action_id": "criteria.met", "value": str(w.criterion.pk)},
    "ack": lambda w: {"action_id": "ack.page", "value": str(w.private.pk)},
}
# Modal -> the answers a member could submit about the private incident.
SUBMISSIONS = {
    "update": lambda w: {"incident": w.private.pk, "message": "All fine"},
    "resolve": lambda w: {"incident": w.private.pk, "resolution": "Fixed"},
    "resolve-by-channel": lambda w: {"channel": w.private.channel_name, "resolution": "Fixed"},
    "declare": lambda w: {"broadcast": w.private.slack_channel_id, "title": "Mine"},
}


def test_every_slack_entry_has_a_probe():
    entries = set(commands.HANDLERS) | set(commands.FOR_ANY_MEMBER)
    assert entries == set(COMMANDS), "Give each subcommand a probe in COMMANDS"
    assert set(interactivity.ACTIONS) == set(ACTIONS), "Give each button a probe in ACTIONS"
    modals = {name.split("-")[0] for name in SUBMISSIONS}
    answered = set(interactivity.SUBMISSIONS) | {declare.CALLBACK}  # declare: inbox.received
    assert answered == modals, "Give each modal a probe in SUBMISSIONS"


@pytest.fixture
def slack_world(db, fake_slack, settings, django_capture_on_commit_callbacks):
    settings.SLACK_SIGNING_SECRET = SECRET
    world = build_world(django_capture_on_commit_callbacks)
    world.private.refresh_from_db()
    assert world.private.slack_channel_id, "the response plan made the private channel"
    for who, slack_id in MEMBERS.items():
        user = getattr(world, who)
        fake_slack.add_user(slack_id, who, user.email)
        slack_identity_link(user=user, slack_user_id=slack_id, method="seed", actor=None)
    return world


def _secrets_in(world, text):
    """What of the private incident `text` names (its channel id too, beyond `leaks`)."""

    class Answer:
        content = text.encode()

        def get(self, _name, default=""):
            return default

    found = leaks(world, Answer())
    if world.private.slack_channel_id in text:
        found.append("channel id")
    return found


def _probe(client, fake_slack, world, label, send, *, sent=""):
    """Send one request; what its answer and the Web API calls it made show, beyond `sent`."""
    before = len(fake_slack.calls())
    response = send()
    assert response.status_code < 500, label
    said = response.content.decode() + json.dumps(fake_slack.calls()[before:])
    said = said.replace(sent, " ") if sent else said
    return [f"{label}: shows the {what}" for what in _secrets_in(world, said)]


def _with_its_tasks(send):
    """Send, then run the tasks it queued (the declare modal's worker shows refusals)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return send()


def _open_view(client, fake_slack, modal, slack_id):
    command(client, modal, user=slack_id, channel=GENERAL)
    return fake_slack.last_view()


@pytest.mark.parametrize("who", list(MEMBERS))
def test_no_slack_answer_shows_the_private_incident(client, fake_slack, slack_world, who):
    w, slack_id = slack_world, MEMBERS[who]
    failures = []
    for picker in PICKERS:  # the type-ahead of every external_select (before `unlink` runs)
        for typed in ("", "inc_", w.private.reference.lower()):
            suggestion = {"type": "block_suggestion", "action_id": picker, "value": typed}
            fields = {"payload": json.dumps({**suggestion, "user": {"id": slack_id}})}
            failures += _probe(
                client,
                fake_slack,
                w,
                f"picker {picker} typing {typed!r}",
                lambda fields=fields: post_form(client, "/slack/options/", fields),
                sent=typed,
            )
    for name, rest in COMMANDS.items():
        for channel in (GENERAL, w.private.slack_channel_id):
            typed = f"{name} {rest}".strip()
            failures += _probe(
                client,
                fake_slack,
                w,
                f"/incident {typed} in {channel}",
                lambda typed=typed, channel=channel: command(
                    client, typed, user=slack_id, channel=channel
                ),
                sent=channel,
            )
    for prefix, build in ACTIONS.items():
        action = build(w)
        view = _open_view(client, fake_slack, "declare", slack_id)
        payload = {
            "type": "block_actions",
            "user": {"id": slack_id},
            "channel": {"id": GENERAL},
            "view": view,
            "actions": [action],
        }
        failures += _probe(
            client,
            fake_slack,
            w,
            f"button {prefix}",
            lambda payload=payload: interact(client, payload),
            sent=action["value"],
        )
    for name, answers in SUBMISSIONS.items():
        modal = name.split("-")[0]
        view = _open_view(client, fake_slack, modal, slack_id)
        if view is None or view.get("callback_id") != modal:
            continue  # the modal did not open for them (nothing to choose): nothing to submit
        typed = answers(w)
        payload = submission(view, typed, user=slack_id, view_id=f"V{name}{who}")
        failures += _probe(
            client,
            fake_slack,
            w,
            f"{name} modal",
            lambda payload=payload: _with_its_tasks(lambda: interact(client, payload)),
            sent=str(typed.get("channel") or typed.get("broadcast") or ""),
        )
    assert not failures, "\n".join(failures)


def test_the_security_group_member_is_shown_the_incident(client, fake_slack, slack_world):
    """The control: the same probes name the incident to someone granted access."""
    w = slack_world
    fake_slack.add_user("U0INES", "ines", w.insider.email)
    slack_identity_link(user=w.insider, slack_user_id="U0INES", method="seed", actor=None)
    response = command(client, "status", user="U0INES", channel=GENERAL)
    assert w.private.reference in response.json()["text"]
    view = _open_view(client, fake_slack, "update", "U0INES")
    assert w.private.reference in json.dumps(view)
