"""Buttons, live inputs and modal submissions, routed by action id / callback id prefix."""

import logging

from slack_sdk.errors import SlackApiError

from . import criteria, declare, replies, resolve, update
from .client import SlackUnavailable, call

logger = logging.getLogger(__name__)

# "<prefix>.<name>": the module that owns the prefix handles it.
ACTIONS = {"declare": declare.act, "criteria": criteria.act}
SUBMISSIONS = {"declare": declare.submit, "update": update.submit, "resolve": resolve.submit}


def dispatch(payload, ctx):
    kind = payload.get("type")
    if kind == "view_submission":
        view = payload["view"]
        handler = SUBMISSIONS.get(view.get("callback_id", "").split(".")[0])
        return handler(ctx, view) if handler else replies.modal_clear()
    if kind == "block_actions":
        for action in payload.get("actions", []):
            handler = ACTIONS.get(action.get("action_id", "").split(".")[0])
            if handler:
                handler(ctx, action, payload)
    return replies.ok()


def tell(payload, message):
    """An ephemeral note to whoever clicked, in the channel they clicked in."""
    channel = (payload.get("channel") or {}).get("id")
    user = (payload.get("user") or {}).get("id")
    if not (channel and user):
        return
    try:
        call("chat_postEphemeral", channel=channel, user=user, text=str(message))
    except (SlackApiError, SlackUnavailable):
        logger.warning("Could not tell %s in %s: %s", user, channel, message)
