"""The bot's own channels (its memberships, from `users.conversations`), held in Django's
cache so that no answer Slack waits for lists the workspace's channels. One entry for the
whole list (a few hundred channels: tens of kilobytes); a periodic task replaces it and Slack's
channel events correct it in between (see README, "Slack"). Every write holds a lock (a cache
key taken with `add`, which the cache grants to one caller at a time): two events arriving
together each read, edit and write the list, and without it the second write would drop the
first one's edit.

Entries are {"id", "name", "is_private"}. Per person, the ids of their private channels (the
ones the bot is in too) are cached briefly: the picker and the submission check them."""

import contextlib
import time
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from typing import Any, TypedDict

from django.conf import settings
from django.core.cache import cache

from notifications.channels import PermanentError, RetryableError
from notifications.channels.slack import SlackChannelInfo, SlackWorkspace

KEY = "slack:bot-channels"
LOCK_KEY = "slack:bot-channels:lock"
LOCK_SECONDS = 10  # a writer that died frees the list after this long
LOCK_WAIT = 1.0  # seconds a writer waits for another (each holds it for one read and write)
PRIVATE_KEY = "slack:private-channels:{user}"
PRIVATE_SECONDS = 300  # a person who just joined a private channel waits at most this long
# Slack's events about a channel; those naming a member count only for the bot itself.
CHANNEL_EVENTS = {
    "channel_created",
    "channel_rename",
    "channel_archive",
    "channel_unarchive",
    "channel_deleted",
    "group_rename",
    "group_archive",
    "group_unarchive",
    "group_deleted",
    "group_left",
    "channel_left",
}
MEMBER_EVENTS = {"member_joined_channel", "member_left_channel"}
GONE_EVENTS = {
    "channel_archive",
    "channel_deleted",
    "group_archive",
    "group_deleted",
    "group_left",
    "channel_left",
    "member_left_channel",
}


class Entry(TypedDict):
    id: str
    name: str
    is_private: bool


class _Held(TypedDict):
    channels: dict[str, Entry]
    at: float  # time.time() of the last store


def entry(channel: Mapping[str, Any]) -> Entry:
    name, private = channel.get("name", ""), bool(channel.get("is_private"))
    return {"id": channel["id"], "name": name, "is_private": private}


def entries(channels: Iterable[Mapping[str, Any]]) -> dict[str, Entry]:
    """{id: entry} of Slack's channel objects, the archived ones left out."""
    return {c["id"]: entry(c) for c in channels if not c.get("is_archived")}


def bot_channels() -> dict[str, Entry] | None:
    """{id: entry} of the channels the bot is in, or None before the first refresh."""
    held: _Held | None = cache.get(KEY)
    return None if held is None else held["channels"]


def refreshed_at() -> float | None:
    held: _Held | None = cache.get(KEY)
    return None if held is None else held["at"]


class CacheBusy(RetryableError):
    """Another writer held the list for longer than LOCK_WAIT: try again later."""


@contextlib.contextmanager
def _writing() -> Iterator[None]:
    token = uuid.uuid4().hex
    deadline = time.monotonic() + LOCK_WAIT
    while not cache.add(LOCK_KEY, token, timeout=LOCK_SECONDS):
        if time.monotonic() > deadline:
            raise CacheBusy(
                "The cached list of the bot's channels is being written.", retry_after=1
            )
        time.sleep(0.005)
    try:
        yield
    finally:
        if cache.get(LOCK_KEY) == token:  # not one taken after ours expired
            cache.delete(LOCK_KEY)


def store(channels: Iterable[Mapping[str, Any]]) -> dict[str, Entry]:
    """Replace the list with `channels` (Slack's channel objects); CacheBusy if another
    writer holds it."""
    listed = entries(channels)
    held: _Held = {"channels": listed, "at": time.time()}
    with _writing():
        cache.set(KEY, held, timeout=settings.SLACK_CHANNELS_CACHE_SECONDS)
    return listed


def refresh() -> int:
    """Ask Slack for every channel the bot is in (off the acknowledgement path: a 429 raises
    RetryableError carrying Slack's Retry-After)."""
    return len(store(SlackWorkspace().bot_channels()))


def refresh_channel(channel_id: str) -> None:
    """Ask Slack about one channel and keep or drop it (after an event naming it)."""
    channel: SlackChannelInfo | None
    try:
        channel = SlackWorkspace().channel(channel_id)
    except PermanentError:  # channel_not_found: deleted, or private and the bot left
        channel = None
    if channel and channel.get("is_member") and not channel.get("is_archived"):
        _change(lambda listed: listed.__setitem__(channel_id, entry(channel)))
    else:
        forget(channel_id)


def forget(channel_id: str) -> None:
    _change(lambda listed: listed.pop(channel_id, None))


def _change(edit: Callable[[dict[str, Entry]], object]) -> None:
    """Read, edit, write, under the writers' lock; CacheBusy if another writer holds it."""
    with _writing():
        held: _Held | None = cache.get(KEY)
        if held is None:
            return  # nothing cached yet: the next refresh lists the channel
        edit(held["channels"])
        cache.set(KEY, held, timeout=settings.SLACK_CHANNELS_CACHE_SECONDS)


def channel_event_id(event: Mapping[str, object], bot_user_id: object) -> str | None:
    """The channel a Slack event says changed for the bot's list, or None."""
    kind = event.get("type")
    if kind in MEMBER_EVENTS and event.get("user") != bot_user_id:
        return None
    if kind not in CHANNEL_EVENTS | MEMBER_EVENTS:
        return None
    channel = event.get("channel")
    channel_id = channel.get("id") if isinstance(channel, dict) else channel
    return channel_id if isinstance(channel_id, str) and channel_id else None


def is_gone_event(event: Mapping[str, object]) -> bool:
    return event.get("type") in GONE_EVENTS


def name_taken(name: str) -> bool:
    """Whether one of the bot's channels is named `name` (channels it cannot see, Slack
    reports when the channel is created)."""
    return any(c["name"] == name for c in (bot_channels() or {}).values())


def private_ids(slack_user_id: str) -> set[str] | None:
    """Cached ids of the person's private channels (shared with the bot), or None."""
    ids: list[str] | None = cache.get(PRIVATE_KEY.format(user=slack_user_id))
    return None if ids is None else set(ids)


def store_private_ids(slack_user_id: str, ids: Collection[str]) -> set[str]:
    cache.set(PRIVATE_KEY.format(user=slack_user_id), sorted(ids), timeout=PRIVATE_SECONDS)
    return set(ids)
