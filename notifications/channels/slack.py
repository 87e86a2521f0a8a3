"""Slack through the official `slack_sdk` client; SLACK_API_URL points it at a fake in tests.

`SlackAdapter` carries the outbox's Slack deliveries: messages, and archiving the channel a
delivery of the ARCHIVE_CHANNEL event is addressed to (the incident channel at resolution);
`SlackWorkspace` does the incident channel's chores for the response plan (create, topic,
invite).
"""

from collections.abc import Iterable, Iterator, Sequence
from typing import Any
from urllib.error import URLError

from django.conf import settings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web import SlackResponse

from .base import (
    ARCHIVE_CHANNEL,
    ChannelAdapter,
    OutgoingMessage,
    PermanentError,
    RetryableError,
    parse_retry_after,
)

RETRYABLE_ERRORS = {"ratelimited", "internal_error", "fatal_error", "service_unavailable"}
TOPIC_LIMIT = 250
CHANNEL_NAME_LIMIT = 80

# A conversation object as the Web API answers it (id, name, is_private, …).
SlackChannelInfo = dict[str, Any]


class NameTaken(PermanentError):
    """conversations.create: Slack has a channel of that name, maybe one the bot cannot see."""


def slack_configured() -> bool:
    return bool(settings.SLACK_BOT_TOKEN)


def client() -> WebClient:
    return WebClient(
        token=settings.SLACK_BOT_TOKEN,
        base_url=settings.SLACK_API_URL,
        timeout=int(settings.BEACON_HTTP_TIMEOUT),
    )


def _call(method: str, **params: object) -> SlackResponse:
    """One Web API call, its failure mapped to retryable or permanent."""
    try:
        response: SlackResponse = getattr(client(), method)(**params)
        return response
    except SlackApiError as error:
        response = error.response
        code = response.get("error") if isinstance(response.data, dict) else None
        if response.status_code == 429 or response.status_code >= 500 or code in RETRYABLE_ERRORS:
            raise RetryableError(
                f"Slack {method}: {code or f'HTTP {response.status_code}'}",
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            ) from error
        raise PermanentError(f"Slack {method}: {code or response.status_code}") from error
    except (URLError, OSError, SlackRequestError) as error:
        raise RetryableError(f"Slack {method}: {error}") from error
    except ValueError as error:  # a body that is not JSON: a proxy or an outage page
        raise RetryableError(f"Slack {method}: unreadable answer ({error})") from error


def _paged(method: str, **params: object) -> Iterator[SlackChannelInfo]:
    """The channels a listing method answers, not archived, page by page."""
    cursor = None
    while True:
        page = _call(method, exclude_archived=True, limit=200, cursor=cursor, **params)
        yield from page["channels"]
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return


class SlackAdapter(ChannelAdapter):
    channel = "slack"

    def is_configured(self) -> bool:
        return slack_configured()

    def send(self, message: OutgoingMessage) -> str:
        if not self.is_configured():
            raise PermanentError("Slack is not configured (SLACK_BOT_TOKEN).")
        if message.event == ARCHIVE_CHANNEL:
            return SlackWorkspace().archive(message.address)
        channel = message.address
        if "@" in channel:  # a person known only by email: find them, then write to them
            channel = lookup_user_id(channel)
        response = _call(
            "chat_postMessage",
            channel=channel,
            text=message.text,
            blocks=message.content.get("blocks"),
            unfurl_links=False,
            metadata={
                "event_type": "beacon_delivery",
                "event_payload": {"delivery_id": message.delivery_id},
            },
        )
        return f"{response.get('channel', '')}/{response.get('ts', '')}"


def lookup_user_id(email: str) -> str:
    user_id: str = _call("users_lookupByEmail", email=email)["user"]["id"]
    return user_id


class SlackWorkspace:
    """The incident channel's chores. Each call raises RetryableError or PermanentError."""

    def create_channel(self, name: str, *, private: bool) -> str:
        """The new channel's id; NameTaken when the name is taken (archived channels and
        private ones the bot is not in count)."""
        try:
            created = _call("conversations_create", name=name, is_private=private)
        except PermanentError as error:
            if "name_taken" in str(error):
                raise NameTaken(f"Slack conversations_create: #{name} is taken") from error
            raise
        channel_id: str = created["channel"]["id"]
        return channel_id

    def member_channel_named(self, name: str) -> SlackChannelInfo | None:
        """The channel of that name the bot is in (from its own memberships), or None."""
        mine = _paged("users_conversations", types="public_channel,private_channel")
        return next((c for c in mine if c.get("name") == name), None)

    def channels(self) -> Iterator[SlackChannelInfo]:
        """Every channel the bot can see, not archived."""
        return _paged("conversations_list", types="public_channel,private_channel")

    def bot_channels(self) -> Iterator[SlackChannelInfo]:
        """The channels the bot is in (its memberships, not every channel), not archived."""
        return _paged("users_conversations", types="public_channel,private_channel")

    def channel(self, channel_id: str) -> SlackChannelInfo:
        info: SlackChannelInfo = _call("conversations_info", channel=channel_id)["channel"]
        return info

    def private_channel_ids(self, user_id: str) -> set[str]:
        """Ids of the private channels `user_id` is in (those the bot is in too)."""
        return {
            c["id"] for c in _paged("users_conversations", user=user_id, types="private_channel")
        }

    def find_channel(self, name: str) -> SlackChannelInfo | None:
        return next((c for c in self.channels() if c["name"] == name.lstrip("#")), None)

    def describe(self, channel_id: str, *, topic: str, purpose: str) -> None:
        _call("conversations_setTopic", channel=channel_id, topic=topic[:TOPIC_LIMIT])
        _call("conversations_setPurpose", channel=channel_id, purpose=purpose[:TOPIC_LIMIT])

    def user_ids(self, emails: Iterable[str]) -> tuple[list[str], list[str]]:
        """Slack ids of the people found by email, and the emails nobody answers to."""
        found: list[str] = []
        missing: list[str] = []
        for email in emails:
            try:
                found.append(lookup_user_id(email))
            except PermanentError:
                missing.append(email)
        return found, missing

    def usergroup_members(self, usergroup: str) -> list[str]:
        return list(_call("usergroups_users_list", usergroup=usergroup)["users"])

    def invite(self, channel_id: str, user_ids: Sequence[str]) -> None:
        if user_ids:
            _call("conversations_invite", channel=channel_id, users=",".join(user_ids))

    def archive(self, channel_id: str) -> str:
        """Archive a channel; one archived already (a repeat) counts as done."""
        try:
            _call("conversations_archive", channel=channel_id)
        except PermanentError as error:
            if "already_archived" not in str(error):
                raise
            return f"{channel_id}/already archived"
        return f"{channel_id}/archived"
