"""Slack's three endpoints. Each verifies the signature, finds the Beacon user behind the
Slack user, speaks their language, and hands over to a handler that calls the services."""

import json

from django.http import HttpResponseBadRequest, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import commands, interactivity, replies
from .context import SlackContext
from .signature import verified
from .users import beacon_user, slack_profile


def _context(slack_user_id, **where):
    """(context, None) for a linked user, or (None, the reply telling how to link)."""
    email, language = slack_profile(slack_user_id)
    user = beacon_user(slack_user_id, email)
    if user is None:
        with translation.override(language):
            return None, _(
                "Your Slack account is not linked to a Beacon user. Ask an administrator to "
                "give your Beacon account the same email address as Slack ({email}), or put "
                "your Slack member id ({id}) in Beacon's Preferences."
            ).format(email=email or _("none visible to Beacon"), id=slack_user_id)
    return SlackContext(user=user, slack_user_id=slack_user_id, language=language, **where), None


@csrf_exempt
@require_POST
@verified
def command(request):
    form = request.POST
    subcommand, _sep, rest = form.get("text", "").strip().partition(" ")
    ctx, refusal = _context(
        form.get("user_id", ""),
        channel_id=form.get("channel_id", ""),
        trigger_id=form.get("trigger_id", ""),
        text=rest.strip(),
    )
    if ctx is None:
        return replies.ephemeral(refusal)
    with translation.override(ctx.language):
        return commands.dispatch(subcommand.lower(), ctx)


@csrf_exempt
@require_POST
@verified
def interaction(request):
    try:
        payload = json.loads(request.POST["payload"])
    except (KeyError, ValueError):
        return HttpResponseBadRequest("No interaction payload.")
    ctx, refusal = _context(
        (payload.get("user") or {}).get("id", ""),
        channel_id=(payload.get("channel") or {}).get("id", ""),
        trigger_id=payload.get("trigger_id", ""),
    )
    if ctx is None:
        if payload.get("type") == "view_submission":
            return replies.modal_update(replies.notice_view("Beacon", refusal))
        interactivity.tell(payload, refusal)
        return replies.ok()
    with translation.override(ctx.language):
        return interactivity.dispatch(payload, ctx)


@csrf_exempt
@require_POST
@verified
def event(request):
    try:
        payload = json.loads(request.body)
    except ValueError:
        return HttpResponseBadRequest("Not JSON.")
    if payload.get("type") == "url_verification":
        return JsonResponse({"challenge": payload.get("challenge", "")})
    return JsonResponse({})
