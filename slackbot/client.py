"""The Web API client for interactive calls (modals, ephemeral answers): these happen while
a person waits and Slack wants an answer within 3 s. Every call made while Slack waits shares
one budget (`answering_within`); a 429 is retried once only when Slack asks for at most a
second's wait and the budget still holds it; otherwise the caller falls back at once."""

import contextlib
import contextvars
import logging
import time
from collections.abc import Iterator

from django.conf import settings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web import SlackResponse

from notifications.channels.slack import SlackChannelInfo

logger = logging.getLogger(__name__)
# time.monotonic() by which the answer to Slack must be out; None outside a Slack request.
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "slack_ack_deadline", default=None
)
LEAST_USEFUL_WAIT = 0.05  # seconds: below this a call cannot be answered in time


class SlackUnavailable(Exception):
    pass


@contextlib.contextmanager
def answering_within(seconds: float) -> Iterator[None]:
    """Every call inside shares `seconds` (Slack's acknowledgement budget)."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


@contextlib.contextmanager
def leaving(seconds: float) -> Iterator[None]:
    """Calls inside stop `seconds` short of the budget: room for the call that must follow
    (the views.open a picker's lookups come before)."""
    deadline = _deadline.get()
    token = _deadline.set(None if deadline is None else deadline - seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def remaining() -> float | None:
    """Seconds left of the budget (None outside a Slack request)."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic()


class ShortRateLimitRetry(RateLimitErrorRetryHandler):
    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        assert response is not None  # the 429 it retries
        waits = {k.lower(): v for k, v in response.headers.items()}.get("retry-after", ["1"])
        wait = int(waits[0])
        left = remaining()
        return wait <= 1 and (left is None or left > wait + settings.SLACK_ACK_CALL_TIMEOUT)


def web(timeout: float) -> WebClient:
    return WebClient(
        token=settings.SLACK_BOT_TOKEN,
        base_url=settings.SLACK_API_URL,
        timeout=timeout,  # type: ignore[arg-type]  # typed int; urllib takes the float budget
        retry_handlers=[ShortRateLimitRetry(max_retry_count=1)],
    )


def call(method: str, **params: object) -> SlackResponse:
    """One Web API call; SlackApiError for Slack's refusals (a 429 included), SlackUnavailable
    if unreachable, too slow, or when the budget is spent."""
    timeout = settings.SLACK_ACK_CALL_TIMEOUT
    left = remaining()
    if left is not None:
        if left < LEAST_USEFUL_WAIT:
            raise SlackUnavailable(f"No time left to call {method}.")
        timeout = min(timeout, left)
    try:
        response: SlackResponse = getattr(web(timeout), method)(**params)
        return response
    except SlackApiError:
        raise
    except (SlackClientError, OSError, ValueError) as error:
        raise SlackUnavailable(str(error)) from error


def paged(method: str, **params: object) -> Iterator[SlackChannelInfo]:
    """The channels a listing method answers, not archived, every page (within the budget)."""
    cursor = None
    while True:
        page = call(method, exclude_archived=True, limit=200, cursor=cursor, **params)
        yield from page["channels"]
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return


def tell(channel_id: str, slack_user_id: str, message: object) -> None:
    """An ephemeral note to a person in a channel (after a click: no reply carries it)."""
    if not (channel_id and slack_user_id):
        return
    try:
        call("chat_postEphemeral", channel=channel_id, user=slack_user_id, text=str(message))
    except (SlackApiError, SlackUnavailable):
        logger.warning("Could not tell %s in %s: %s", slack_user_id, channel_id, message)
