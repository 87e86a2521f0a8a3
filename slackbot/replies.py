"""What Slack expects back: ephemeral messages, modal errors, modal updates."""

from django.http import JsonResponse

from core.responses import JsonAnswerThen


def ephemeral(text, blocks=None):
    body = {"response_type": "ephemeral", "text": str(text)}
    if blocks:
        body["blocks"] = blocks
    return JsonResponse(body)


def modal_errors(errors):
    """Field errors shown under the modal's blocks (block id → message)."""
    return JsonResponse(
        {"response_action": "errors", "errors": {k: str(v)[:150] for k, v in errors.items()}}
    )


def modal_update(view, *, then=None):
    """Replace the modal with `view`; `then()` runs once the answer is sent."""
    body = {"response_action": "update", "view": view}
    return JsonResponse(body) if then is None else JsonAnswerThen(body, then=then)


def modal_clear():
    return JsonResponse({"response_action": "clear"})


def ok():
    return JsonResponse({})


def text(value):
    return {"type": "plain_text", "text": str(value)[:150], "emoji": True}


def mrkdwn(value):
    return {"type": "mrkdwn", "text": str(value)[:3000]}


def section(value):
    return {"type": "section", "text": mrkdwn(value)}


def context(value):
    """A line of small print in a modal: a notice."""
    return {"type": "context", "block_id": "notice", "elements": [mrkdwn(value)]}


def option(label, value, description=""):
    built = {"text": text(label), "value": str(value)}
    if description:
        built["description"] = text(description[:75])
    return built


def notice_view(title, body):
    return {
        "type": "modal",
        "title": text(title[:24]),
        "close": text("OK"),
        "blocks": [section(body)],
    }
