"""Slack's three endpoints. Each verifies the signature, finds the Beacon user behind the
Slack user, speaks their language, and hands over to a handler that calls the services.

This is the one place a payload Slack would not send becomes a 400 (`SlackPayloadError`, raised
by the accessors of payload.py wherever a handler reads the payload) and refused text becomes
the answer Slack shows: a modal field error, or an ephemeral message (`SlackInputError`)."""

import functools
import json
import re
from collections.abc import Callable, Mapping
from contextlib import suppress
from typing import TypeVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from incidents.throttling import throttled
from notifications.broker import publish_in_background, try_publish
from slackbot import channel_cache, commands, declare, inbox, interactivity, replies
from slackbot.channels import broadcast_options
from slackbot.client import answering_within, tell
from slackbot.context import member_context
from slackbot.payload import (
    CHANNEL_ID,
    USER_ID,
    SlackInputError,
    SlackPayloadError,
    identifier,
    listing,
    mapping,
    text,
)
from slackbot.signature import verified
from slackbot.tasks import declare_from_slack_batch, refresh_slack_channel
from slackbot.users import slack_profile

View = Callable[[HttpRequest], HttpResponse]
Reply = TypeVar("Reply", bound=HttpResponse | None)


def slack_endpoint(
    view: View, *, answered_first: Callable[[HttpRequest], HttpResponse | None] | None = None
) -> View:
    """CSRF-exempt, POST only, signed, then throttled per Slack user (only a signed request
    may spend a member's allowance); a payload Slack would not send answers 400. The Web API
    calls made meanwhile share Slack's budget. `answered_first(request)` may answer before
    the throttle (None: it does not)."""

    def refusing_bad_payloads(
        answer: Callable[[HttpRequest], Reply],
    ) -> Callable[[HttpRequest], Reply | HttpResponseBadRequest]:
        @functools.wraps(answer)
        def wrapper(request: HttpRequest) -> Reply | HttpResponseBadRequest:
            try:
                with answering_within(settings.SLACK_ACK_BUDGET_SECONDS):
                    return answer(request)
            except SlackPayloadError as error:
                return HttpResponseBadRequest(str(error), content_type="text/plain")

        return wrapper

    # incidents.throttling is not typed yet: `throttled` answers the view's answer or a 429.
    throttled_view: View = throttled(refusing_bad_payloads(view))  # type: ignore[no-untyped-call]
    first = refusing_bad_payloads(answered_first or (lambda request: None))

    @functools.wraps(view)
    def entry(request: HttpRequest) -> HttpResponse:
        return first(request) or throttled_view(request)

    return csrf_exempt(require_POST(verified(entry)))


def answers_ssl_check(view: View) -> View:
    """Slack checks a slash command's certificate with an unsigned `ssl_check=1` POST, which
    wants a 200 and nothing else."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest) -> HttpResponse:
        # The raw body first: the signature check reads it after us, which parsing a
        # multipart body before it would forbid.
        body = request.body if request.method == "POST" else b""
        if b"ssl_check" in body and request.POST.get("ssl_check") == "1":
            return HttpResponse(status=200)
        return view(request)

    return csrf_exempt(wrapper)


@answers_ssl_check
@slack_endpoint
def command(request: HttpRequest) -> JsonResponse:
    form = request.POST
    slack_user_id = identifier(form.get("user_id"), "user_id", USER_ID, required=True)
    try:
        words = text(form.get("text"), "text", block="text")
    except SlackInputError as error:
        with translation.override(slack_profile(slack_user_id)[1]):
            return replies.ephemeral(error.errors["text"])
    subcommand, _sep, rest = words.strip().partition(" ")
    subcommand = subcommand.lower()
    if subcommand in commands.FOR_ANY_MEMBER:  # linking: they may not be linked yet
        with translation.override(slack_profile(slack_user_id)[1]):
            return commands.FOR_ANY_MEMBER[subcommand](slack_user_id)
    ctx, refusal = member_context(
        slack_user_id,
        channel_id=identifier(form.get("channel_id"), "channel_id", CHANNEL_ID),
        trigger_id=text(form.get("trigger_id"), "trigger_id"),
        text=rest.strip(),
    )
    if ctx is None:
        return replies.ephemeral(refusal)
    with translation.override(ctx.language):
        return commands.dispatch(subcommand, ctx)


def _id_of(
    payload: Mapping[str, object], key: str, pattern: re.Pattern[str], *, required: bool = False
) -> str:
    """`payload[key]["id"]`: the user or the channel of an interaction."""
    container = payload.get(key)
    if container is None and not required:
        return ""
    return identifier(mapping(container, key).get("id"), f"{key}.id", pattern, required=required)


def _payload(request: HttpRequest) -> dict[str, object]:
    """The interaction's payload, read once per request."""
    # It is kept on the request, as an attribute HttpRequest does not declare: the ignores.
    if not hasattr(request, "slack_payload"):
        try:
            request.slack_payload = json.loads(  # type: ignore[attr-defined]
                request.POST.get("payload", "")
            )
        except ValueError as error:
            raise SlackPayloadError("No interaction payload.") from error
    return mapping(request.slack_payload, "payload")  # type: ignore[attr-defined]


def _declaration_submitted(request: HttpRequest) -> JsonResponse | None:
    """The declare modal's submission, answered before the throttle and any lookup: each
    comes from a modal `/incident declare` opened (throttled), at most one pending at once,
    and the worker finds the member (inbox.py)."""
    payload = _payload(request)
    if payload.get("type") != "view_submission":
        return None
    view = mapping(payload.get("view"), "view")
    if text(view.get("callback_id"), "callback_id") != declare.CALLBACK:
        return None
    slack_user_id = _id_of(payload, "user", USER_ID, required=True)
    return inbox.received(slack_user_id, view, queue=_queue_declaration)


def _queue_declaration(row_id: int) -> None:
    """After the answer, by the process's publishing thread: this one is free at once."""
    publish_in_background(declare_from_slack_batch, row_id)


def _interaction(request: HttpRequest) -> JsonResponse:
    payload = _payload(request)
    kind = text(payload.get("type"), "type")
    slack_user_id = _id_of(payload, "user", USER_ID, required=True)
    channel_id = _id_of(payload, "channel", CHANNEL_ID)
    trigger_id = text(payload.get("trigger_id"), "trigger_id")
    ctx, refusal = member_context(slack_user_id, channel_id=channel_id, trigger_id=trigger_id)
    if ctx is None:
        if kind == "view_submission":
            return replies.modal_update(replies.notice_view("Beacon", refusal))
        tell(channel_id, slack_user_id, refusal)
        return replies.ok()
    with translation.override(ctx.language):
        try:
            return interactivity.dispatch(kind, payload, ctx)
        except SlackInputError as error:
            if kind != "view_submission":
                raise SlackPayloadError("Control characters outside a modal.") from error
            return replies.modal_errors(error.errors)


interaction = slack_endpoint(_interaction, answered_first=_declaration_submitted)


@slack_endpoint
def event(request: HttpRequest) -> HttpResponse:
    try:
        payload = mapping(json.loads(request.body), "event")
    except ValueError:
        return HttpResponseBadRequest("Not JSON.")
    kind = text(payload.get("type"), "type")
    if kind == "url_verification":
        return JsonResponse({"challenge": text(payload.get("challenge"), "challenge")})
    if kind == "event_callback":
        _channel_changed(payload)
    return JsonResponse({})


def _channel_changed(payload: Mapping[str, object]) -> None:
    """A channel event corrects the cached list of the bot's channels: a channel gone leaves
    it at once, and a task asks Slack about the channel (off Slack's budget)."""
    bots = [
        a.get("user_id")
        for a in listing(payload.get("authorizations") or [], "authorizations")
        if isinstance(a, dict) and a.get("is_bot")
    ]
    event = mapping(payload.get("event"), "event")
    channel_id = channel_cache.channel_event_id(event, bots[0] if bots else None)
    if channel_id is None:
        return
    if channel_cache.is_gone_event(event):
        # A writer holding the list past its wait: the task below drops the channel.
        with suppress(channel_cache.CacheBusy):
            channel_cache.forget(channel_id)
    try_publish(refresh_slack_channel, (channel_id,))


# external_select action id -> the options it offers.
PICKERS = {"declare.broadcast": broadcast_options, "resolve.broadcast": broadcast_options}


@slack_endpoint
def options(request: HttpRequest) -> JsonResponse:
    """Slack's options load URL: the type-ahead of an external_select (block_suggestion)."""
    payload = _payload(request)
    if text(payload.get("type"), "type") != "block_suggestion":
        raise SlackPayloadError("Not an options request.")
    picker = PICKERS.get(text(payload.get("action_id"), "action_id"))
    if picker is None:
        raise SlackPayloadError("Not a Beacon picker.")
    slack_user_id = _id_of(payload, "user", USER_ID, required=True)
    ctx, _refusal = member_context(slack_user_id)
    if ctx is None:
        return JsonResponse({"options": []})
    query = text(payload.get("value"), "value")
    with translation.override(ctx.language):
        return JsonResponse({"options": picker(slack_user_id, query)})
