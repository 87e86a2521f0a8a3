"""A modal submission acts once: Slack retries, and a replayed request must not post or
resolve twice. The result is kept under the view's id, in the action's transaction. (The
declare modal has its own guard: its inbox row, unique per view id; see inbox.py.) The
interactivity dispatcher has checked the view's id and callback id."""

import hashlib

from django.db import IntegrityError, transaction

from core.models import IdempotencyKey


def _key(view):
    """Per view and modal: a view id answered by one modal never replays into another."""
    modal = view["callback_id"].split(".")[0]
    return f"slack-view:{modal}:{view['id']}"


def replayed(ctx, view):
    """The first run's result if this view was already submitted, else None."""
    done = IdempotencyKey.objects.filter(user=ctx.user, key=_key(view)).first()
    return done.response_body if done else None


def once(ctx, view, action):
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
        return IdempotencyKey.objects.get(user=ctx.user, key=key).response_body
    return result
