"""A modal submission acts once: Slack retries, and a replayed request must not post or
resolve twice. The result is kept under the view's id, in the action's transaction. (The
declare modal has its own guard: its inbox row, unique per view id; see inbox.py.) The
interactivity dispatcher has checked the view's id and callback id."""

import hashlib
from collections.abc import Callable, Mapping

from django.db import IntegrityError, transaction

from core.models import IdempotencyKey
from slackbot.context import SlackContext
from slackbot.payload import text


def _key(view: Mapping[str, object]) -> str:
    """Per view and modal: a view id answered by one modal never replays into another."""
    modal = text(view["callback_id"], "callback_id").split(".")[0]
    return f"slack-view:{modal}:{view['id']}"


def replayed(ctx: SlackContext, view: Mapping[str, object]) -> dict[str, object] | None:
    """The first run's result if this view was already submitted, else None."""
    done = IdempotencyKey.objects.filter(user=ctx.user, key=_key(view)).first()
    result: dict[str, object] | None = done.response_body if done else None  # what `once` kept
    return result


def once(
    ctx: SlackContext, view: Mapping[str, object], action: Callable[[], dict[str, object]]
) -> dict[str, object]:
    """Run `action` (returning a JSON-able dict) once per submitted view."""
    done = replayed(ctx, view)
    if done is not None:
        return done
    key = _key(view)
    try:
        with transaction.atomic():
            result = action()
            IdempotencyKey.objects.create(
                user=ctx.user,
                key=key,
                method="POST",
                path="/slack/interactivity/",
                request_hash=hashlib.sha256(key.encode()).hexdigest(),
                response_status=200,
                response_body=result,
            )
    except IntegrityError:  # the same submission, handled by a concurrent request
        kept: dict[str, object] = IdempotencyKey.objects.get(user=ctx.user, key=key).response_body
        return kept
    return result
