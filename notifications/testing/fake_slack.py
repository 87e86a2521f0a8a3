"""A fake of the Slack Web API for slack_sdk's `WebClient(base_url=fake.url + "/api/")`."""

import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from .fake_http import FakeHttpServer, Response

NAME_RE = re.compile(r"^[a-z0-9_-]{1,80}$")
FIRST_TS = 1_700_000_000_000_100  # in microseconds: "1700000000.000100"
_METHODS = {}


@dataclass
class SlackUser:
    id: str
    name: str
    email: str
    locale: str = "en-US"
    is_bot: bool = False


@dataclass
class SlackChannel:
    id: str
    name: str  # "" for a DM or group DM
    is_private: bool = False
    is_archived: bool = False
    members: set[str] = field(default_factory=set)
    topic: str = ""
    purpose: str = ""
    is_im: bool = False  # a DM or group DM, from conversations.open or a post to a user id


@dataclass
class SlackMessage:
    channel: str
    text: str
    ts: str
    user: str
    blocks: list | None = None
    metadata: dict | None = None
    thread_ts: str | None = None
    ephemeral_to: str | None = None  # chat.postEphemeral's recipient


class SlackError(Exception):
    """Ends an API method with `{"ok": false, "error": str(self)}`."""


def _method(name):
    def register(function):
        _METHODS[name] = function
        return function

    return register


def _json(status, payload, headers=None) -> Response:
    headers = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    return Response(status, json.dumps(payload).encode(), headers)


def _flag(value) -> bool:
    return value in (True, 1, "1", "true", "True")


def _ids(value) -> list[str]:
    items = value if isinstance(value, list | tuple) else str(value or "").split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def _structured(value):
    """Blocks and metadata come as JSON text in a form body, as objects in a JSON body."""
    return json.loads(value) if isinstance(value, str) and value else value or None


def _page(channels, p):
    """One page of a listing, as Slack pages: `limit` (100 by default) from `cursor`."""
    start = int(p.get("cursor") or 0)
    end = start + int(p.get("limit") or 100)
    cursor = str(end) if end < len(channels) else ""
    return {"channels": channels[start:end], "response_metadata": {"next_cursor": cursor}}


class FakeSlack(FakeHttpServer):
    """Slack's Web API over one workspace: users, channels, usergroups and posted messages.

    Answers like Slack: HTTP 200 with `{"ok": true, ...}` or `{"ok": false, "error": ...}`.
    """

    def __init__(
        self, token: str = "xoxb-test", host: str = "127.0.0.1", port: int = 0, latency=0.0
    ):
        super().__init__(host, port)
        self.token = token
        self.latency = latency  # seconds every call takes (Slack's are ~0.1)
        self.slow_methods: dict[str, float] = {}  # method -> seconds it takes instead
        self.team_id, self.team_name = "T0001", "Beacon Test"
        self.bot_user_id = "U0BOT0001"
        self.users = {self.bot_user_id: SlackUser(self.bot_user_id, "beacon", "", is_bot=True)}
        self.channels: dict[str, SlackChannel] = {}
        self._by_name: dict[str, SlackChannel] = {}
        self.usergroups: dict[str, dict] = {}  # id -> {"handle": ..., "users": [...]}
        self._state = threading.RLock()
        self._calls: list[tuple[str, dict]] = []
        self._messages: list[SlackMessage] = []
        self._faults: list[list] = []  # [method or None, Response, times left]
        self._down = False
        self.views: dict[str, dict] = {}  # id -> the last view opened or updated there
        self._last_view = None
        self._ids = itertools.count(1)
        self._ts = itertools.count()

    # -- helpers for tests

    def add_user(self, id: str, name: str, email: str, locale: str = "en-US") -> str:
        with self._state:
            self.users[id] = SlackUser(id, name, email, locale)
        return id

    def add_channel(
        self, name, is_private=False, is_archived=False, bot_member=True, members=()
    ) -> str:
        with self._state:
            if self.channel_by_name(name):
                raise ValueError(f"a channel is already named {name!r}")
            members = set(members) | ({self.bot_user_id} if bot_member else set())
            return self._new_channel("C", name, is_private, members, is_archived=is_archived).id

    def rename_channel(self, channel_id: str, name: str):
        with self._state:
            channel = self.channels[channel_id]
            self._by_name.pop(channel.name, None)
            channel.name = name
            self._by_name[name] = channel

    def add_usergroup(self, id: str, handle: str, user_ids) -> str:
        with self._state:
            self.usergroups[id] = {"handle": handle, "users": list(user_ids)}
        return id

    def channel_by_name(self, name: str) -> SlackChannel | None:
        with self._state:
            return self._by_name.get(name.removeprefix("#"))

    def calls(self, method: str | None = None) -> list[tuple[str, dict]]:
        """(method, params) of every API call received, faulted ones included, in order."""
        with self._state:
            return [(m, p) for m, p in self._calls if method in (None, m)]

    def messages(self, channel: str | None = None) -> list[SlackMessage]:
        """Posted messages (ephemeral ones included), optionally of one channel id or name."""
        with self._state:
            if channel is not None:
                found = self.channel_by_name(channel)
                channel = found.id if found else channel
            return [m for m in self._messages if channel in (None, m.channel)]

    def fail_next(self, method=None, *, status=None, error=None, retry_after=None, times=1):
        """Fail the next `times` calls (of `method`, or any).

        By default HTTP 500; `error="ratelimited"` or `retry_after` gives HTTP 429 with
        Retry-After; any other `error` alone gives HTTP 200 `{"ok": false, "error": error}`.
        """
        if status is None and (error == "ratelimited" or retry_after is not None):
            status = 429
        elif status is None:
            status = 200 if error else 500
        error = error or ("ratelimited" if status == 429 else "internal_error")
        headers = {"Retry-After": str(retry_after or 1)} if status == 429 else None
        response = _json(status, {"ok": False, "error": error}, headers)
        with self._state:
            self._faults.append([method, response, times])

    def set_down(self, down: bool = True):
        """While down, every call answers HTTP 503."""
        with self._state:
            self._down = down

    # -- the API

    def handle(self, request):
        path, _, query = request.path.partition("?")
        if not path.startswith("/api/"):
            return Response(404, b"not found")
        method = path.removeprefix("/api/")
        body = request.json if isinstance(request.json, dict) else request.form or {}
        params = {**dict(parse_qsl(query)), **body}
        authorization = request.header("Authorization") or ""
        token = authorization.removeprefix("Bearer ").strip() or params.get("token")
        wait = self.slow_methods.get(method, self.latency)
        if wait:
            time.sleep(wait)
        with self._state:
            self._calls.append((method, params))
            if self._down:
                return _json(503, {"ok": False, "error": "service_unavailable"})
            fault = self._take_fault(method)
            if fault:
                return fault
            if method not in _METHODS:
                return _json(200, {"ok": False, "error": "unknown_method"})
            if token != self.token:
                return _json(200, {"ok": False, "error": "invalid_auth"})
            try:
                return _json(200, {"ok": True, **_METHODS[method](self, params)})
            except SlackError as e:
                return _json(200, {"ok": False, "error": str(e)})

    @_method("auth.test")
    def _auth_test(self, p):
        return {
            "url": "https://beacon-test.slack.com/",
            "team": self.team_name,
            "user": self.users[self.bot_user_id].name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": "B0001",
            "is_enterprise_install": False,
        }

    @_method("chat.postMessage")
    def _post_message(self, p):
        channel = self._writable(p.get("channel"))
        message = self._new_message(channel, p, thread_ts=p.get("thread_ts") or None)
        return {"channel": channel.id, "ts": message.ts, "message": self._message_obj(message)}

    @_method("chat.postEphemeral")
    def _post_ephemeral(self, p):
        channel = self._writable(p.get("channel"))
        user = p.get("user")
        if user not in self.users:
            raise SlackError("user_not_found")
        if user not in channel.members:
            raise SlackError("user_not_in_channel")
        return {"message_ts": self._new_message(channel, p, ephemeral_to=user).ts}

    @_method("views.open")
    def _views_open(self, p):
        if not p.get("trigger_id") or p["trigger_id"] == "expired":
            raise SlackError("expired_trigger_id")
        return self._keep_view(f"V{next(self._ids):04d}", p.get("view"))

    @_method("views.update")
    def _views_update(self, p):
        if p.get("view_id") not in self.views:
            raise SlackError("not_found")
        if p.get("hash") and p["hash"] != self.views[p["view_id"]]["hash"]:
            raise SlackError("hash_conflict")
        return self._keep_view(p["view_id"], p.get("view"))

    def _keep_view(self, view_id, view):
        view = dict(_structured(view) or {})
        view.update(id=view_id, hash=f"{view_id}-{next(self._ids)}")
        self.views[view_id] = self._last_view = view
        return {"view": view}

    def last_view(self):
        """The view most recently opened or updated."""
        with self._state:
            return self._last_view

    @_method("chat.update")
    def _update(self, p):
        channel = self._resolve(p.get("channel"))
        message = next(
            (
                m
                for m in self._messages
                if (m.channel, m.ts) == (channel.id, p.get("ts")) and not m.ephemeral_to
            ),
            None,
        )
        if message is None:
            raise SlackError("message_not_found")
        if channel.is_archived:
            raise SlackError("is_archived")
        message.text = p.get("text", message.text)
        message.blocks = _structured(p.get("blocks")) or message.blocks
        message.metadata = _structured(p.get("metadata")) or message.metadata
        obj = self._message_obj(message)
        return {"channel": channel.id, "ts": message.ts, "text": message.text, "message": obj}

    @_method("conversations.create")
    def _create(self, p):
        name = str(p.get("name") or "")
        if not name:
            raise SlackError("invalid_name_required")
        if len(name) > 80:
            raise SlackError("invalid_name_maxlength")
        if not NAME_RE.match(name):
            raise SlackError("invalid_name_specials")
        if self.channel_by_name(name):
            raise SlackError("name_taken")
        channel = self._new_channel("C", name, _flag(p.get("is_private")), {self.bot_user_id})
        return {"channel": self._channel_obj(channel)}

    @_method("conversations.invite")
    def _invite(self, p):
        channel = self._writable(p.get("channel"))
        users = _ids(p.get("users"))
        if not users:
            raise SlackError("no_user")
        if any(u not in self.users for u in users):
            raise SlackError("user_not_found")
        if channel.is_im:
            raise SlackError("method_not_supported_for_channel_type")
        channel.members.update(users)
        return {"channel": self._channel_obj(channel)}

    @_method("conversations.setTopic")
    def _set_topic(self, p):
        return self._set_text(p, "topic")

    @_method("conversations.setPurpose")
    def _set_purpose(self, p):
        return self._set_text(p, "purpose")

    @_method("conversations.archive")
    def _archive(self, p):
        channel = self._resolve(p.get("channel"))
        if channel.is_archived:
            raise SlackError("already_archived")
        if channel.is_im:
            raise SlackError("method_not_supported_for_channel_type")
        if self.bot_user_id not in channel.members:
            raise SlackError("not_in_channel")
        channel.is_archived = True
        return {}

    @_method("conversations.info")
    def _info(self, p):
        return {"channel": self._channel_obj(self._resolve(p.get("channel")))}

    @_method("conversations.list")
    def _list(self, p):
        types = _ids(p.get("types") or "public_channel")
        channels = [
            self._channel_obj(c)
            for c in self.channels.values()
            if self._visible(c)
            and self._kind(c) in types
            and not (c.is_archived and _flag(p.get("exclude_archived")))
        ]
        return _page(channels, p)

    @_method("conversations.join")
    def _join(self, p):
        channel = self._resolve(p.get("channel"))
        if channel.is_archived:
            raise SlackError("is_archived")
        if channel.is_private or channel.is_im:
            raise SlackError("method_not_supported_for_channel_type")
        warning = {"warning": "already_in_channel"} if self.bot_user_id in channel.members else {}
        channel.members.add(self.bot_user_id)
        return {"channel": self._channel_obj(channel), **warning}

    @_method("conversations.open")
    def _open(self, p):
        if p.get("channel"):
            return {"channel": {"id": self._resolve(p["channel"]).id}}
        users = _ids(p.get("users"))
        if not users:
            raise SlackError("users_list_not_supplied")
        if any(u not in self.users for u in users):
            raise SlackError("user_not_found")
        if len(users) > 8:
            raise SlackError("too_many_users")
        existed = self._find_dm(users) is not None
        channel = self._dm(users)
        return {"no_op": existed, "already_open": existed, "channel": {"id": channel.id}}

    @_method("users.conversations")
    def _users_conversations(self, p):
        """A user's channels; the private ones only where the bot is a member too."""
        user = p.get("user") or self.bot_user_id
        if user not in self.users:
            raise SlackError("user_not_found")
        types = _ids(p.get("types") or "public_channel")
        channels = [
            self._channel_obj(c)
            for c in self.channels.values()
            if user in c.members
            and self._visible(c)
            and self._kind(c) in types
            and not (c.is_archived and _flag(p.get("exclude_archived")))
        ]
        return _page(channels, p)

    @_method("users.info")
    def _users_info(self, p):
        user = self.users.get(p.get("user"))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": self._user_obj(user, _flag(p.get("include_locale")))}

    @_method("users.lookupByEmail")
    def _lookup_by_email(self, p):
        email = str(p.get("email") or "").lower()
        user = next((u for u in self.users.values() if email and u.email.lower() == email), None)
        if user is None:
            raise SlackError("users_not_found")
        return {"user": self._user_obj(user)}

    @_method("usergroups.users.list")
    def _usergroup_users(self, p):
        group = self.usergroups.get(p.get("usergroup"))
        if group is None:
            raise SlackError("no_such_subteam")
        return {"users": list(group["users"])}

    # -- internals

    def _take_fault(self, method) -> Response | None:
        for fault in self._faults:
            if fault[0] in (None, method):
                fault[2] -= 1
                if fault[2] <= 0:
                    self._faults.remove(fault)
                return fault[1]
        return None

    def _new_channel(self, prefix, name, is_private, members, **extra) -> SlackChannel:
        channel = SlackChannel(f"{prefix}{next(self._ids):04d}", name, is_private, **extra)
        channel.members = set(members)
        self.channels[channel.id] = channel
        if name:
            self._by_name[name] = channel
        return channel

    def _find_dm(self, users) -> SlackChannel | None:
        members = set(users) | {self.bot_user_id}
        return next((c for c in self.channels.values() if c.is_im and c.members == members), None)

    def _dm(self, users) -> SlackChannel:
        return self._find_dm(users) or self._new_channel(
            "D" if len(users) == 1 else "G", "", True, set(users) | {self.bot_user_id}, is_im=True
        )

    def _visible(self, channel) -> bool:
        return not channel.is_private or self.bot_user_id in channel.members

    def _resolve(self, ref) -> SlackChannel:
        """A channel by id or (#)name; channel_not_found for a private one the bot is not in."""
        ref = str(ref or "")
        channel = self.channels.get(ref) or self.channel_by_name(ref)
        if channel is None or not self._visible(channel):
            raise SlackError("channel_not_found")
        return channel

    def _writable(self, ref) -> SlackChannel:
        """The channel to post to; a user id means the DM with that user."""
        channel = self._dm([ref]) if ref in self.users else self._resolve(ref)
        if channel.is_archived:
            raise SlackError("is_archived")
        if self.bot_user_id not in channel.members:
            raise SlackError("not_in_channel")
        return channel

    def _set_text(self, p, attribute):
        channel = self._writable(p.get("channel"))
        value = str(p.get(attribute) or "")
        if len(value) > 250:
            raise SlackError("too_long")
        setattr(channel, attribute, value)
        return {"channel": self._channel_obj(channel)}

    def _new_message(self, channel, p, **extra) -> SlackMessage:
        text, blocks = p.get("text") or "", _structured(p.get("blocks"))
        if not text and not blocks and not p.get("attachments"):
            raise SlackError("no_text")
        micros = FIRST_TS + 100 * next(self._ts)
        ts = f"{micros // 1_000_000}.{micros % 1_000_000:06d}"
        metadata = _structured(p.get("metadata"))
        message = SlackMessage(channel.id, text, ts, self.bot_user_id, blocks, metadata, **extra)
        self._messages.append(message)
        return message

    def _kind(self, channel) -> str:
        if channel.is_im:
            return "im" if len(channel.members) == 2 else "mpim"
        return "private_channel" if channel.is_private else "public_channel"

    def _channel_obj(self, c) -> dict:
        obj = {"id": c.id, "created": 1_700_000_000, "is_archived": c.is_archived}
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

    def _message_obj(self, m) -> dict:
        obj = {"type": "message", "user": m.user, "bot_id": "B0001", "text": m.text, "ts": m.ts}
        optional = {"blocks": m.blocks, "metadata": m.metadata, "thread_ts": m.thread_ts}
        return {**obj, "team": self.team_id, **{k: v for k, v in optional.items() if v}}

    def _user_obj(self, u, include_locale=False) -> dict:
        obj = {
            "id": u.id,
            "team_id": self.team_id,
            "name": u.name,
            "real_name": u.name,
            "deleted": False,
            "is_bot": u.is_bot,
            "profile": {"email": u.email, "real_name": u.name, "display_name": u.name},
        }
        return {**obj, "locale": u.locale} if include_locale else obj
