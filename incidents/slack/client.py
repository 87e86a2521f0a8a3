"""The Web API client for interactive calls (modals, ephemeral answers): these happen while
a person waits and Slack wants an answer within 3 s, so a 429 is retried once only when Slack
asks for at most a second's wait; otherwise the person gets a clear error at once."""

import logging

from django.conf import settings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

logger = logging.getLogger(__name__)


class SlackUnavailable(Exception):
    pass


class ShortRateLimitRetry(RateLimitErrorRetryHandler):
    def _can_retry(self, *, state, request, response=None, error=None):
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        waits = {k.lower(): v for k, v in response.headers.items()}.get("retry-after", ["1"])
        return int(waits[0]) <= 1


def web():
    return WebClient(
        token=settings.SLACK_BOT_TOKEN,
        base_url=settings.SLACK_API_URL,
        timeout=3,
        retry_handlers=[ShortRateLimitRetry(max_retry_count=1)],
    )


def call(method, **params):
    """One Web API call; SlackApiError for Slack's refusals, SlackUnavailable if unreachable."""
    try:
        return getattr(web(), method)(**params)
    except SlackApiError:
        raise
    except (SlackClientError, OSError, ValueError) as error:
        raise SlackUnavailable(str(error)) from error


def tell(channel_id, slack_user_id, message):
    """An ephemeral note to a person in a channel (after a click: no reply carries it)."""
    if not (channel_id and slack_user_id):
        return
    try:
        call("chat_postEphemeral", channel=channel_id, user=slack_user_id, text=str(message))
    except (SlackApiError, SlackUnavailable):
        logger.warning("Could not tell %s in %s: %s", slack_user_id, channel_id, message)
