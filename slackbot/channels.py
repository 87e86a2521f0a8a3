"""The broadcast channel: where a person may have Beacon speak, and whether a chosen one still
works. Never an incident's channel (private or not), never a private channel they are not in:
the picker would show its name, the broadcast would post where they cannot read.

The candidates are the bot's channels from the cache (channel_cache.py); nothing here lists
the workspace. When the cache is cold it is filled within Slack's budget; when Slack cannot
answer in time (a 429, a timeout) the configured broadcast channel is offered, with a notice."""

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from django.conf import settings
from django.utils.translation import gettext as _
from slack_sdk.errors import SlackApiError

from incidents.services.base import incident_channels
from slackbot import channel_cache
from slackbot.channel_cache import Entry
from slackbot.client import SlackUnavailable, call, leaving, paged
from slackbot.replies import Block, option

OPTIONS_LIMIT = 100  # Slack shows at most 100 options
Channel = TypeVar("Channel", bound=Mapping[str, Any])


def _known_channels() -> tuple[dict[str, Entry], str]:
    """(the bot's channels, a notice or ""): the cache, else Slack within the budget."""
    known = channel_cache.bot_channels()
    if known is not None:
        return known, ""
    try:
        listed = list(paged("users_conversations", types="public_channel,private_channel"))
    except (SlackApiError, SlackUnavailable):
        return {}, _(
            "Slack is busy: Beacon offers only #%(name)s until it has listed its channels. "
            "Try again in a minute for the others."
        ) % {"name": _default_name()}
    try:
        return channel_cache.store(listed), ""
    except channel_cache.CacheBusy:  # another request is filling it: this one's list will do
        return channel_cache.entries(listed), ""


def _default_name() -> str:
    return settings.SLACK_BROADCAST_CHANNEL.lstrip("#")


def _private_ids(slack_user_id: str) -> set[str] | None:
    """The person's private channels the bot is in too, or None when Slack cannot tell."""
    ids = channel_cache.private_ids(slack_user_id)
    if ids is not None:
        return ids
    try:
        found = paged("users_conversations", user=slack_user_id, types="private_channel")
        return channel_cache.store_private_ids(slack_user_id, {c["id"] for c in found})
    except (SlackApiError, SlackUnavailable):
        return None


def broadcast_channels(slack_user_id: str, query: str = "") -> tuple[list[Entry], str]:
    """([channel entries `slack_user_id` may broadcast in, the configured one first, at most
    100, matching `query`], notice). Never empty: at worst the configured channel by name.
    Slack's lookups leave time for one more call (the modal's views.open)."""
    with leaving(settings.SLACK_ACK_CALL_TIMEOUT):
        known, notice = _known_channels()
    channels = _not_incident_channels(list(known.values()))
    if any(c["is_private"] for c in channels):
        with leaving(settings.SLACK_ACK_CALL_TIMEOUT):
            theirs = _private_ids(slack_user_id)
        if theirs is None:
            notice = notice or _("Slack is busy: private channels are not offered just now.")
        channels = [c for c in channels if not c["is_private"] or c["id"] in (theirs or ())]
    default = _default_name()
    if (notice or not channels) and not any(c["name"] == default for c in channels):
        channels.append({"id": default, "name": default, "is_private": False})
    query = query.strip().lstrip("#").lower()
    matching = [c for c in channels if query in c["name"].lower()]
    ordered = sorted(matching, key=lambda c: (c["name"] != default, c["name"]))
    return ordered[:OPTIONS_LIMIT], notice


def broadcast_options(slack_user_id: str, query: str = "") -> list[Block]:
    """The picker's options (an external_select's answer)."""
    channels, _notice = broadcast_channels(slack_user_id, query)
    return [option(f"#{c['name']}", c["id"]) for c in channels]


def broadcast_select(action_id: str, slack_user_id: str, preferred: str = "") -> tuple[Block, str]:
    """An external_select of the broadcast channel (type-ahead: the workspace may have
    thousands), its initial option `preferred` when offered, else the configured one; and
    the notice to show when Slack could not answer."""
    channels, notice = broadcast_channels(slack_user_id)
    initial = next((c for c in channels if c["id"] == preferred), channels[0])
    element = {
        "type": "external_select",
        "action_id": action_id,
        "min_query_length": 0,
        "initial_option": option(f"#{initial['name']}", initial["id"]),
    }
    return element, notice


def _not_incident_channels(channels: Sequence[Channel]) -> list[Channel]:
    """Those of `channels` that are no incident's channel, by id or by name."""
    taken = list(
        incident_channels(
            ids=[c["id"] for c in channels], names=[c.get("name", "") for c in channels]
        ).values_list("slack_channel_id", "channel_name")
    )
    ids, names = {i for i, _name in taken}, {name for _i, name in taken}
    return [c for c in channels if c["id"] not in ids and c.get("name", "") not in names]


def check_broadcast(slack_user_id: str, channel_id: str | None, errors: dict[str, str]) -> None:
    """The same rules as the picker, for the channel submitted (the services refuse an
    incident channel again, whichever door it comes through). The cache answers for the
    bot's channels; Slack is asked only about one it does not hold."""
    if not channel_id:
        errors["broadcast"] = _("Choose the channel to broadcast in.")
        return
    if channel_id == _default_name():
        return  # offered by name when Slack was busy: the outbox posts to it by name
    channel = (channel_cache.bot_channels() or {}).get(channel_id)
    if channel is None:
        try:
            found = call("conversations_info", channel=channel_id)["channel"]
        except SlackApiError:
            errors["broadcast"] = _("This channel does not exist (any more). Choose another.")
            return
        except SlackUnavailable:
            return  # Slack is struggling: the outbox will fall back to the backup methods
        channel = {**channel_cache.entry(found), **found}
    if channel.get("is_private") and channel_id not in (_private_ids(slack_user_id) or ()):
        errors["broadcast"] = _("You are not in this private channel: choose one you are in.")
        return
    name = {"name": channel.get("name")}
    if channel.get("is_archived"):
        errors["broadcast"] = _("#%(name)s is archived. Choose another channel.") % name
    elif not channel.get("is_member", True):  # a cached channel is one the bot is in
        errors["broadcast"] = (
            _("Beacon is not in #%(name)s. Invite it there (/invite @Beacon) or choose another.")
            % name
        )
    elif not _not_incident_channels([channel]):
        errors["broadcast"] = (
            _(
                "#%(name)s is an incident channel; choose the channel where the organisation hears "
                "about incidents."
            )
            % name
        )
