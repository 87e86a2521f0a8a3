"""Slack at workspace scale: the bot's channels come from a cache (users.conversations, kept
by a periodic task and Slack's channel events), the broadcast picker is a type-ahead, and no
answer Slack waits for lists channels, waits past its budget, or leaves the picker empty.
Signed requests through the Django test client; the Web API a local fake, the real slack_sdk."""

import time

import pytest

from config.celery_routes import PERIODIC_TASKS, TASK_ROUTES
from incidents.models import Incident
from slackbot import channel_cache
from slackbot.tasks import refresh_slack_channels
from slackbot.tests.slack_requests import (
    SECRET,
    command,
    declare_errors,
    event,
    interact,
    post_form,
    submission,
    suggest,
)

pytestmark = pytest.mark.django_db
LISTINGS = {"conversations.list", "users.conversations"}


@pytest.fixture
def slack(fake_slack, settings, commander_user, responder_user):
    settings.SLACK_SIGNING_SECRET = SECRET
    fake_slack.add_user("U0CORA", "cora", commander_user.email)
    fake_slack.add_user("U0RUDY", "rudy", responder_user.email)
    return fake_slack


def open_declare(client, slack):
    assert command(client, "declare").json() == {}
    return slack.last_view()


def listings_since(slack, before):
    return [m for m, _p in slack.calls()[before:] if m in LISTINGS]


def broadcast_block(view):
    return next(b for b in view["blocks"] if b["block_id"] == "broadcast")


def notices(view):
    return [e["text"] for b in view["blocks"] if b["type"] == "context" for e in b["elements"]]


def test_the_name_check_and_the_submission_list_no_channels(client, slack, answers):
    view = open_declare(client, slack)
    before = len(slack.calls())
    action = {"action_id": "declare.name", "value": "checkout-502"}
    interact(
        client,
        {"type": "block_actions", "user": {"id": "U0CORA"}, "actions": [action], "view": view},
    )
    body = interact(client, submission(view, answers())).json()
    assert body["response_action"] == "update", body
    assert listings_since(slack, before) == []
    assert "conversations.info" not in [m for m, _p in slack.calls()[before:]]


def test_a_name_one_of_the_bots_channels_has_is_refused_from_the_cache(client, slack, answers):
    from slackbot.declare import todays_channel

    slack.add_channel(todays_channel("checkout-502"))
    view = open_declare(client, slack)
    before = len(slack.calls())
    assert "already exists" in declare_errors(client, slack, submission(view, answers()))["name"]
    assert listings_since(slack, before) == []


def test_a_rate_limited_listing_offers_the_configured_channel_with_a_notice(
    client, slack, answers, django_capture_on_commit_callbacks
):
    slack.fail_next("users.conversations", retry_after=30, times=10)
    view = open_declare(client, slack)
    broadcast = broadcast_block(view)["element"]
    assert broadcast["initial_option"]["text"]["text"] == "#incidents"
    assert any("Slack is busy" in notice for notice in notices(view))
    assert suggest(client, "declare.broadcast") == ["#incidents"]
    with django_capture_on_commit_callbacks(execute=True):
        body = interact(client, submission(view, answers())).json()
    assert body["response_action"] == "update", body
    assert Incident.objects.get().broadcast_channel == "incidents"
    assert "checkout-502" in slack.messages("incidents")[0].text


def test_a_slow_slack_is_given_up_on_within_slacks_three_seconds(client, slack, settings):
    settings.SLACK_ACK_CALL_TIMEOUT = 1.0
    slack.slow_methods.update(dict.fromkeys(LISTINGS, 4))
    started = time.monotonic()
    view = open_declare(client, slack)
    assert time.monotonic() - started < 3
    assert broadcast_block(view)["element"]["initial_option"]["value"] == "incidents"
    assert any("Slack is busy" in notice for notice in notices(view))


def test_the_options_endpoint_is_signed(client, slack):
    fields = {"payload": '{"type": "block_suggestion"}'}
    assert post_form(client, "/slack/options/", fields, secret="wrong").status_code == 401


@pytest.mark.parametrize("path", ["commands", "interactivity", "events", "options"])
def test_a_request_without_signature_headers_is_refused(client, slack, path):
    response = client.post(f"/slack/{path}/", "payload=%7B%7D", content_type="text/plain")
    assert response.status_code == 401


def test_channel_events_keep_the_cached_list(client, slack):
    open_declare(client, slack)  # the cache holds #incidents and #beacon-drills
    ops = slack.add_channel("ops")
    slack.add_channel("elsewhere", bot_member=False)
    event(client, {"type": "member_joined_channel", "user": slack.bot_user_id, "channel": ops})
    assert "#ops" in suggest(client, "declare.broadcast")

    before = len(slack.calls())
    other = slack.channel_by_name("elsewhere").id
    event(client, {"type": "member_joined_channel", "user": "U0RUDY", "channel": other})
    assert slack.calls()[before:] == []  # someone else's membership: nothing to ask

    slack.channel_by_name("ops").is_archived = True
    event(client, {"type": "channel_archive", "channel": ops, "user": "U0RUDY"})
    assert "#ops" not in suggest(client, "declare.broadcast")

    drills = slack.channel_by_name("beacon-drills")
    slack.rename_channel(drills.id, "drills")
    event(client, {"type": "channel_rename", "channel": {"id": drills.id, "name": "drills"}})
    assert suggest(client, "declare.broadcast") == ["#incidents", "#drills"]


def test_the_periodic_refresh_pages_through_the_bots_memberships_only(slack):
    for n in range(250):
        slack.add_channel(f"team-{n:03d}")
    for n in range(100):
        slack.add_channel(f"other-{n:03d}", bot_member=False)
    assert refresh_slack_channels.apply().get() == 252
    calls = [p for m, p in slack.calls() if m in LISTINGS]
    assert len(calls) == 2 and all(not p.get("user") for p in calls)
    assert len(channel_cache.bot_channels()) == 252
    assert "slackbot.tasks.refresh_slack_channels" in TASK_ROUTES
    assert any(t == "slackbot.tasks.refresh_slack_channels" for t, _s in PERIODIC_TASKS.values())


def keystroke(client, view, value):
    action = {"action_id": "declare.name", "value": value}
    payload = {"type": "block_actions", "user": {"id": "U0CORA"}, "actions": [action]}
    assert interact(client, {**payload, "view": view}).json() == {}


def hint_of(view, block_id):
    return next(b for b in view["blocks"] if b["block_id"] == block_id).get("hint", {}).get("text")


def test_a_keystroke_patches_the_view_slack_sent_with_one_call(client, slack):
    view = open_declare(client, slack)
    # As Slack sends it: with its state and ids, and whatever the modal shows now.
    sent = {**view, "title": {"type": "plain_text", "text": "As shown"}, "team_id": "T0001"}
    sent["state"] = {"values": {}}
    before = len(slack.calls())
    keystroke(client, sent, "checkout-502")
    assert [m for m, _p in slack.calls()[before:]] == ["views.update"]
    updated = slack.last_view()
    assert updated["title"]["text"] == "As shown"
    assert "state" not in updated and "team_id" not in updated
    assert "#inc_checkout-502_" in hint_of(updated, "name")
    others = [b for b in updated["blocks"] if b["block_id"] != "name"]
    assert others == [b for b in view["blocks"] if b["block_id"] != "name"]


def test_a_name_one_of_the_bots_channels_has_is_reported_live(client, slack):
    from slackbot.declare import todays_channel

    slack.add_channel(todays_channel("checkout-502"))
    view = open_declare(client, slack)
    before = len(slack.calls())
    keystroke(client, view, "checkout-502")
    assert "already exists" in hint_of(slack.last_view(), "name")
    assert listings_since(slack, before) == []
    keystroke(client, slack.last_view(), "Not Valid")  # with the hash it now has
    assert "lowercase" in hint_of(slack.last_view(), "name")


def test_the_senders_profile_is_asked_of_slack_once(client, slack):
    open_declare(client, slack)
    open_declare(client, slack)
    assert len(slack.calls("users.info")) == 1
