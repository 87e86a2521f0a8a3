"""The fake workspace's state, the helpers tests set it up and read it with, and its internals."""

import itertools
import json
import threading
from collections.abc import Iterable
from typing import Any

from .records import (
    JsonObject,
    Params,
    SlackChannel,
    SlackError,
    SlackMessage,
    SlackUser,
    SlackUsergroup,
)

FIRST_TS = 1_700_000_000_000_100  # in microseconds: "1700000000.000100"


def structured(value: Any) -> Any:
    """Blocks and metadata come as JSON text in a form body, as objects in a JSON body."""
    return json.loads(value) if isinstance(value, str) and value else value or None


class SlackWorkspace:
    """One workspace: users, channels, usergroups, views and posted messages, under one lock."""

    def __init__(self) -> None:
        self.team_id, self.team_name = "T0001", "Beacon Test"
        self.bot_user_id = "U0BOT0001"
        self.users = {self.bot_user_id: SlackUser(self.bot_user_id, "beacon", "", is_bot=True)}
        self.channels: dict[str, SlackChannel] = {}
        self._by_name: dict[str, SlackChannel] = {}
        self.usergroups: dict[str, SlackUsergroup] = {}
        self._state = threading.RLock()
        self._messages: list[SlackMessage] = []
        self.views: dict[str, JsonObject] = {}  # id -> the last view opened or updated there
        self._last_view: JsonObject | None = None
        self._ids = itertools.count(1)
        self._ts = itertools.count()

    # -- helpers for tests

    def add_user(self, id: str, name: str, email: str, locale: str = "en-US") -> str:
        with self._state:
            self.users[id] = SlackUser(id, name, email, locale)
        return id

    def add_channel(
        self,
        name: str,
        is_private: bool = False,
        is_archived: bool = False,
        bot_member: bool = True,
        members: Iterable[str] = (),
    ) -> str:
        with self._state:
            if self.channel_by_name(name):
                raise ValueError(f"a channel is already named {name!r}")
            member_ids = set(members) | ({self.bot_user_id} if bot_member else set())
            return self._new_channel("C", name, is_private, member_ids, is_archived=is_archived).id

    def rename_channel(self, channel_id: str, name: str) -> None:
        with self._state:
            channel = self.channels[channel_id]
            self._by_name.pop(channel.name, None)
            channel.name = name
            self._by_name[name] = channel

    def add_usergroup(self, id: str, handle: str, user_ids: Iterable[str]) -> str:
        with self._state:
            self.usergroups[id] = {"handle": handle, "users": list(user_ids)}
        return id

    def channel_by_name(self, name: str) -> SlackChannel | None:
        with self._state:
            return self._by_name.get(name.removeprefix("#"))

    def messages(self, channel: str | None = None) -> list[SlackMessage]:
        """Posted messages (ephemeral ones included), optionally of one channel id or name."""
        with self._state:
            if channel is not None:
                found = self.channel_by_name(channel)
                channel = found.id if found else channel
            return [m for m in self._messages if channel in (None, m.channel)]

    def last_view(self) -> JsonObject | None:
        """The view most recently opened or updated."""
        with self._state:
            return self._last_view

    # -- internals

    def _new_channel(
        self,
        prefix: str,
        name: str,
        is_private: bool,
        members: Iterable[str],
        *,
        is_archived: bool = False,
        is_im: bool = False,
    ) -> SlackChannel:
        channel = SlackChannel(
            f"{prefix}{next(self._ids):04d}", name, is_private, is_archived, is_im=is_im
        )
        channel.members = set(members)
        self.channels[channel.id] = channel
        if name:
            self._by_name[name] = channel
        return channel

    def _find_dm(self, users: list[str]) -> SlackChannel | None:
        members = set(users) | {self.bot_user_id}
        return next((c for c in self.channels.values() if c.is_im and c.members == members), None)

    def _dm(self, users: list[str]) -> SlackChannel:
        return self._find_dm(users) or self._new_channel(
            "D" if len(users) == 1 else "G", "", True, set(users) | {self.bot_user_id}, is_im=True
        )

    def _visible(self, channel: SlackChannel) -> bool:
        return not channel.is_private or self.bot_user_id in channel.members

    def _resolve(self, ref: object) -> SlackChannel:
        """A channel by id or (#)name; channel_not_found for a private one the bot is not in."""
        name = str(ref or "")
        channel = self.channels.get(name) or self.channel_by_name(name)
        if channel is None or not self._visible(channel):
            raise SlackError("channel_not_found")
        return channel

    def _writable(self, ref: object) -> SlackChannel:
        """The channel to post to; a user id means the DM with that user."""
        channel = self._dm([str(ref)]) if ref in self.users else self._resolve(ref)
        if channel.is_archived:
            raise SlackError("is_archived")
        if self.bot_user_id not in channel.members:
            raise SlackError("not_in_channel")
        return channel

    def _new_message(
        self,
        channel: SlackChannel,
        p: Params,
        *,
        thread_ts: str | None = None,
        ephemeral_to: str | None = None,
    ) -> SlackMessage:
        text, blocks = p.get("text") or "", structured(p.get("blocks"))
        if not text and not blocks and not p.get("attachments"):
            raise SlackError("no_text")
        micros = FIRST_TS + 100 * next(self._ts)
        ts = f"{micros // 1_000_000}.{micros % 1_000_000:06d}"
        metadata = structured(p.get("metadata"))
        message = SlackMessage(
            channel.id, text, ts, self.bot_user_id, blocks, metadata, thread_ts, ephemeral_to
        )
        self._messages.append(message)
        return message

    def _kind(self, channel: SlackChannel) -> str:
        if channel.is_im:
            return "im" if len(channel.members) == 2 else "mpim"
        return "private_channel" if channel.is_private else "public_channel"

    def _channel_obj(self, c: SlackChannel) -> JsonObject:
        obj: JsonObject = {"id": c.id, "created": 1_700_000_000, "is_archived": c.is_archived}
        if c.is_im:
            if self._kind(c) == "mpim":
                return {**obj, "is_im": False, "is_mpim": True}
            (user,) = c.members - {self.bot_user_id}
            return {**obj, "is_im": True, "is_mpim": False, "user": user}
        return {
            **obj,
            "name": c.name,
            "name_normalized": c.name,
            "is_channel": not c.is_private,
            "is_group": False,
            "is_im": False,
            "is_mpim": False,
            "is_private": c.is_private,
            "is_general": False,
            "creator": self.bot_user_id,
            "is_member": self.bot_user_id in c.members,
            "num_members": len(c.members),
            "topic": {"value": c.topic, "creator": "", "last_set": 0},
            "purpose": {"value": c.purpose, "creator": "", "last_set": 0},
        }

    def _message_obj(self, m: SlackMessage) -> JsonObject:
        obj = {"type": "message", "user": m.user, "bot_id": "B0001", "text": m.text, "ts": m.ts}
        optional = {"blocks": m.blocks, "metadata": m.metadata, "thread_ts": m.thread_ts}
        return {**obj, "team": self.team_id, **{k: v for k, v in optional.items() if v}}

    def _user_obj(self, u: SlackUser, include_locale: bool = False) -> JsonObject:
        obj: JsonObject = {
            "id": u.id,
            "team_id": self.team_id,
            "name": u.name,
            "real_name": u.name,
            "deleted": False,
            "is_bot": u.is_bot,
            "profile": {"email": u.email, "real_name": u.name, "display_name": u.name},
        }
        return {**obj, "locale": u.locale} if include_locale else obj
