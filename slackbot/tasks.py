"""The Slack front door's tasks: declaring a submitted modal and showing its outcome, sweeping
declarations a lost task left pending, and keeping the cached list of the bot's channels."""

from typing import Literal, NoReturn, TypedDict

from celery import Task, shared_task

from notifications.broker import try_publish
from notifications.channels import RetryableError
from notifications.channels.slack import slack_configured
from notifications.periodic import runs_alone
from slackbot import channel_cache, inbox
from slackbot.models import SlackDeclaration


class _Retry(TypedDict):
    autoretry_for: tuple[type[Exception], ...]
    retry_backoff: bool
    max_retries: int


class _Limits(TypedDict):
    ignore_result: bool
    soft_time_limit: int
    time_limit: int


class _BoundLimits(_Limits):
    bind: Literal[True]


RETRY: _Retry = {"autoretry_for": (Exception,), "retry_backoff": True, "max_retries": 5}
# A declaration is urgent: on the pages queue. The row makes a retry harmless.
DECLARING: _Limits = {"ignore_result": True, "soft_time_limit": 60, "time_limit": 90}


@shared_task(name="slackbot.tasks.declare_from_slack", **DECLARING)
def declare_from_slack(declaration_id: int) -> str | None:
    """Declare a Slack declare modal's submission (its inbox row), once; then update the
    modal with the reference (or the refusal)."""
    return inbox.declare(declaration_id, then=_show_declaration)


# What one web process queued within a moment: one message, however many submissions.
@shared_task(name="slackbot.tasks.declare_from_slack_batch", **DECLARING)
def declare_from_slack_batch(declaration_ids: list[int]) -> str | int | None:
    """Declare the submissions one web process queued together. One is declared here; each of
    several gets a task of its own, so that none waits behind another's declaration (one
    that cannot be queued is left pending, for the sweep)."""
    if len(declaration_ids) == 1:
        return inbox.declare(declaration_ids[0], then=_show_declaration)
    return sum(try_publish(declare_from_slack, (pk,)) for pk in declaration_ids)


def _show_declaration(row: SlackDeclaration) -> None:
    inbox.show_later(row, show_slack_declaration)


@shared_task(
    name="slackbot.tasks.show_slack_declaration",
    ignore_result=True,
    soft_time_limit=20,
    time_limit=30,
)
def show_slack_declaration(declaration_id: int) -> None:
    """Show a Slack declaration's outcome in the declarer's modal (views.update)."""
    inbox.show(declaration_id)


@shared_task(name="slackbot.tasks.sweep_slack_declarations", ignore_result=True, **RETRY)
@runs_alone
def sweep_slack_declarations() -> int:
    """Queue again the Slack declarations still pending after the grace: the broker was down
    at submission, or the worker died. Returns how many were queued."""
    return sum(try_publish(declare_from_slack, (pk,)) for pk in inbox.pending_ids())


# Slack's channel listing: a 429 is retried after the Retry-After Slack gave (or a backoff).
SLACK_LISTING: _BoundLimits = {
    "bind": True,
    "ignore_result": True,
    "soft_time_limit": 120,
    "time_limit": 150,
}


def _retry_after_slack(task: Task[..., object], error: RetryableError) -> NoReturn:
    countdown = error.retry_after or min(300, 10 * 2**task.request.retries)
    raise task.retry(exc=error, countdown=countdown, max_retries=5)


@shared_task(name="slackbot.tasks.refresh_slack_channels", **SLACK_LISTING)
@runs_alone
def refresh_slack_channels(self: Task[[], int | None]) -> int:
    """Replace the cached list of the bot's channels (periodic: the picker's source)."""
    if not slack_configured():
        return 0
    try:
        return channel_cache.refresh()
    except RetryableError as error:
        _retry_after_slack(self, error)


@shared_task(name="slackbot.tasks.refresh_slack_channel", **SLACK_LISTING)
def refresh_slack_channel(self: Task[[str], None], channel_id: str) -> None:
    """Keep or drop one channel of the cached list, after a Slack event about it."""
    try:
        channel_cache.refresh_channel(channel_id)
    except RetryableError as error:
        _retry_after_slack(self, error)
