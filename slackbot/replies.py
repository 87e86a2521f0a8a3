"""What Slack expects back: ephemeral messages, modal errors, modal updates."""

from collections.abc import Callable, Mapping, Sequence

from django.http import JsonResponse

from core.responses import JsonAnswerThen

# A Block Kit object (block, element, text, option, view) as Beacon builds it for Slack.
Block = dict[str, object]


def ephemeral(text: object, blocks: Sequence[Mapping[str, object]] | None = None) -> JsonResponse:
    body: dict[str, object] = {"response_type": "ephemeral", "text": str(text)}
    if blocks:
        body["blocks"] = blocks
    return JsonResponse(body)


def modal_errors(errors: Mapping[str, object]) -> JsonResponse:
    """Field errors shown under the modal's blocks (block id → message)."""
    return JsonResponse(
        {"response_action": "errors", "errors": {k: str(v)[:150] for k, v in errors.items()}}
    )


def modal_update(
    view: Mapping[str, object], *, then: Callable[[], object] | None = None
) -> JsonResponse:
    """Replace the modal with `view`; `then()` runs once the answer is sent."""
    body = {"response_action": "update", "view": view}
    return JsonResponse(body) if then is None else JsonAnswerThen(body, then=then)


def modal_clear() -> JsonResponse:
    return JsonResponse({"response_action": "clear"})


def ok() -> JsonResponse:
    return JsonResponse({})


def text(value: object) -> Block:
    return {"type": "plain_text", "text": str(value)[:150], "emoji": True}


def mrkdwn(value: object) -> Block:
    return {"type": "mrkdwn", "text": str(value)[:3000]}


def section(value: object) -> Block:
    return {"type": "section", "text": mrkdwn(value)}


def context(value: object) -> Block:
    """A line of small print in a modal: a notice."""
    return {"type": "context", "block_id": "notice", "elements": [mrkdwn(value)]}


def option(label: object, value: object, description: str = "") -> Block:
    built: Block = {"text": text(label), "value": str(value)}
    if description:
        built["description"] = text(description[:75])
    return built


def notice_view(title: str, body: object) -> Block:
    return {
        "type": "modal",
        "title": text(title[:24]),
        "close": text("OK"),
        "blocks": [section(body)],
    }
