"""The Web API client for interactive calls (modals, ephemeral answers): these happen while
a person waits, so one retry after Slack's Retry-After, then a clear error."""

from django.conf import settings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler


class SlackUnavailable(Exception):
    pass


def web():
    return WebClient(
        token=settings.SLACK_BOT_TOKEN,
        base_url=settings.SLACK_API_URL,
        timeout=3,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )


def call(method, **params):
    """One Web API call; SlackApiError for Slack's refusals, SlackUnavailable if unreachable."""
    try:
        return getattr(web(), method)(**params)
    except SlackApiError:
        raise
    except (SlackClientError, OSError, ValueError) as error:
        raise SlackUnavailable(str(error)) from error
