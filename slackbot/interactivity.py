"""Buttons, live inputs and modal submissions, routed by action id / callback id prefix."""

from collections.abc import Callable, Mapping

from django.http import JsonResponse

from slackbot import acknowledge, criteria, declare, replies, resolve, update
from slackbot.context import SlackContext
from slackbot.payload import VIEW_ID, SlackPayloadError, identifier, listing, mapping, text

Action = Callable[[SlackContext, Mapping[str, object], Mapping[str, object]], None]
Submission = Callable[[SlackContext, Mapping[str, object]], JsonResponse]

# "<prefix>.<name>": the module that owns the prefix handles it.
ACTIONS: dict[str, Action] = {
    "declare": declare.act,
    "criteria": criteria.act,
    "ack": acknowledge.act,
}
SUBMISSIONS: dict[str, Submission] = {
    "update": update.submit,
    "resolve": resolve.submit,
}  # declare: inbox.py


def dispatch(kind: str, payload: Mapping[str, object], ctx: SlackContext) -> JsonResponse:
    if kind == "view_submission":
        view = mapping(payload.get("view"), "view")
        identifier(view.get("id"), "view.id", VIEW_ID, required=True)  # the replay key
        handler = SUBMISSIONS.get(text(view.get("callback_id"), "callback_id").split(".")[0])
        if handler is None:
            raise SlackPayloadError("Not a Beacon modal.")
        return handler(ctx, view)
    if kind == "block_actions":
        actions = [mapping(a, "action") for a in listing(payload.get("actions"), "actions")]
        prefixes = [text(a.get("action_id"), "action_id").split(".")[0] for a in actions]
        handlers = [ACTIONS.get(prefix) for prefix in prefixes]
        if None in handlers:
            raise SlackPayloadError("Not a Beacon button.")
        for act, action in zip(handlers, actions, strict=True):
            assert act is not None  # a None was refused above
            act(ctx, action, payload)
    return replies.ok()
