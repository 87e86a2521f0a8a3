"""Signed Slack requests for tests: slash commands, interactions, and view submissions built
from the modal Beacon sent."""

import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

from django.test import TestCase

SECRET = "test-signing-secret"


def signature(body, timestamp, secret=SECRET):
    base = f"v0:{timestamp}:".encode() + (body if isinstance(body, bytes) else body.encode())
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(body, *, secret=SECRET, timestamp=None):
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "HTTP_X_SLACK_REQUEST_TIMESTAMP": timestamp,
        "HTTP_X_SLACK_SIGNATURE": signature(body, timestamp, secret),
    }


def post_form(client, path, fields, **signing):
    body = urlencode(fields, errors="surrogatepass")  # a lone surrogate: bytes no UTF-8 reads
    return client.post(
        path,
        body,
        content_type="application/x-www-form-urlencoded",
        **signed_headers(body, **signing),
    )


def command(client, text, *, user="U0CORA", channel="C0GENERAL", **signing):
    fields = {
        "command": "/incident",
        "text": text,
        "user_id": user,
        "channel_id": channel,
        "trigger_id": f"trigger-{time.monotonic_ns()}",
        "response_url": "http://127.0.0.1:9/response",
    }
    return post_form(client, "/slack/commands/", fields, **signing)


def interact(client, payload, **signing):
    return post_form(client, "/slack/interactivity/", {"payload": json.dumps(payload)}, **signing)


def state_of(view, answers):
    """The `state.values` Slack would send for `view` with these answers (block id → value)."""
    values = {}
    for block in view["blocks"]:
        if block.get("type") != "input":
            continue
        element = block["element"]
        answer = answers.get(block["block_id"])
        kind = element["type"]
        if kind in ("static_select", "external_select"):
            chosen = {"value": str(answer)} if answer else element.get("initial_option")
            state = {"selected_option": chosen}
        elif kind in ("multi_static_select", "checkboxes"):
            state = {"selected_options": [{"value": str(v)} for v in answer or []]}
        elif kind == "users_select":
            state = {"selected_user": answer or element.get("initial_user")}
        elif kind == "multi_users_select":
            state = {"selected_users": answer or []}
        else:
            state = {"value": answer}
        values[block["block_id"]] = {element["action_id"]: {"type": kind, **state}}
    return {"values": values}


def submission(view, answers, *, user="U0CORA", view_id="V0001", view_hash="h1"):
    return {
        "type": "view_submission",
        "user": {"id": user},
        "view": {
            "id": view_id,
            "hash": view_hash,
            "callback_id": view["callback_id"],
            "private_metadata": view.get("private_metadata", ""),
            "state": state_of(view, answers),
        },
    }


def suggest(client, action_id, value="", *, user="U0CORA", **signing):
    """The options Beacon answers an external_select's type-ahead with (labels)."""
    payload = {"type": "block_suggestion", "user": {"id": user}, "action_id": action_id}
    fields = {"payload": json.dumps({**payload, "block_id": "broadcast", "value": value})}
    response = post_form(client, "/slack/options/", fields, **signing)
    assert response.status_code == 200, response.content
    return [o["text"]["text"] for o in response.json()["options"]]


def event(client, event, *, bot="U0BOT0001", **signing):
    """An Events API callback, as Slack sends it to the bot's app."""
    body = json.dumps(
        {
            "type": "event_callback",
            "event": event,
            "authorizations": [{"user_id": bot, "is_bot": True}],
        }
    )
    return client.post(
        "/slack/events/", body, content_type="application/json", **signed_headers(body, **signing)
    )


def declare_errors(client, slack, payload):
    """The field errors Beacon shows for a declare modal's submission (block id → message):
    at once in its answer (the answers' own mistakes), or, when the worker refuses a field, in
    the form it shows again (tasks run eagerly on commit here)."""
    view_id = payload["view"]["id"]
    slack.views.setdefault(view_id, {"id": view_id})
    with TestCase.captureOnCommitCallbacks(execute=True):
        body = interact(client, payload).json()
    if body.get("response_action") == "errors":
        return body["errors"]
    shown = slack.views[view_id].get("blocks") or []
    return {
        block["block_id"].removeprefix("error."): block["elements"][0]["text"].removeprefix(
            ":warning: "
        )
        for block in shown
        if block.get("block_id", "").startswith("error.")
    }
