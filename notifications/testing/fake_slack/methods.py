"""The Web API methods the fake answers, each registered in `METHODS` by its Slack name."""

import re
from collections.abc import Callable

from .records import JsonObject, Params, SlackError
from .workspace import SlackWorkspace, structured

NAME_RE = re.compile(r"^[a-z0-9_-]{1,80}$")
# A method answers the JSON that follows `"ok": true`, or raises SlackError.
ApiMethod = Callable[["SlackMethods", Params], JsonObject]
METHODS: dict[str, ApiMethod] = {}


def _method(name: str) -> Callable[[ApiMethod], ApiMethod]:
    def register(function: ApiMethod) -> ApiMethod:
        METHODS[name] = function
        return function

    return register


def _flag(value: object) -> bool:
    return value in (True, 1, "1", "true", "True")


def _ids(value: object) -> list[str]:
    items = value if isinstance(value, list | tuple) else str(value or "").split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def _page(channels: list[JsonObject], p: Params) -> JsonObject:
    """One page of a listing, as Slack pages: `limit` (100 by default) from `cursor`."""
    start = int(p.get("cursor") or 0)
    end = start + int(p.get("limit") or 100)
    cursor = str(end) if end < len(channels) else ""
    return {"channels": channels[start:end], "response_metadata": {"next_cursor": cursor}}


class SlackMethods(SlackWorkspace):
    """The workspace as the Web API shows and changes it; called with the workspace locked."""

    @_method("auth.test")
    def _auth_test(self, p: Params) -> JsonObject:
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
    def _post_message(self, p: Params) -> JsonObject:
        channel = self._writable(p.get("channel"))
        message = self._new_message(channel, p, thread_ts=p.get("thread_ts") or None)
        return {"channel": channel.id, "ts": message.ts, "message": self._message_obj(message)}

    @_method("chat.postEphemeral")
    def _post_ephemeral(self, p: Params) -> JsonObject:
        channel = self._writable(p.get("channel"))
        user = p.get("user")
        if user not in self.users:
            raise SlackError("user_not_found")
        if user not in channel.members:
            raise SlackError("user_not_in_channel")
        return {"message_ts": self._new_message(channel, p, ephemeral_to=user).ts}

    @_method("views.open")
    def _views_open(self, p: Params) -> JsonObject:
        if not p.get("trigger_id") or p["trigger_id"] == "expired":
            raise SlackError("expired_trigger_id")
        return self._keep_view(f"V{next(self._ids):04d}", p.get("view"))

    @_method("views.update")
    def _views_update(self, p: Params) -> JsonObject:
        if p.get("view_id") not in self.views:
            raise SlackError("not_found")
        if p.get("hash") and p["hash"] != self.views[p["view_id"]]["hash"]:
            raise SlackError("hash_conflict")
        return self._keep_view(p["view_id"], p.get("view"))

    def _keep_view(self, view_id: str, view: object) -> JsonObject:
        view = dict(structured(view) or {})
        view.update(id=view_id, hash=f"{view_id}-{next(self._ids)}")
        self.views[view_id] = self._last_view = view
        return {"view": view}

    @_method("chat.update")
    def _update(self, p: Params) -> JsonObject:
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
        message.blocks = structured(p.get("blocks")) or message.blocks
        message.metadata = structured(p.get("metadata")) or message.metadata
        obj = self._message_obj(message)
        return {"channel": channel.id, "ts": message.ts, "text": message.text, "message": obj}

    @_method("conversations.create")
    def _create(self, p: Params) -> JsonObject:
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
    def _invite(self, p: Params) -> JsonObject:
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
    def _set_topic(self, p: Params) -> JsonObject:
        return self._set_text(p, "topic")

    @_method("conversations.setPurpose")
    def _set_purpose(self, p: Params) -> JsonObject:
        return self._set_text(p, "purpose")

    @_method("conversations.archive")
    def _archive(self, p: Params) -> JsonObject:
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
    def _info(self, p: Params) -> JsonObject:
        return {"channel": self._channel_obj(self._resolve(p.get("channel")))}

    @_method("conversations.list")
    def _list(self, p: Params) -> JsonObject:
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
    def _join(self, p: Params) -> JsonObject:
        channel = self._resolve(p.get("channel"))
        if channel.is_archived:
            raise SlackError("is_archived")
        if channel.is_private or channel.is_im:
            raise SlackError("method_not_supported_for_channel_type")
        warning = {"warning": "already_in_channel"} if self.bot_user_id in channel.members else {}
        channel.members.add(self.bot_user_id)
        return {"channel": self._channel_obj(channel), **warning}

    @_method("conversations.open")
    def _open(self, p: Params) -> JsonObject:
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
    def _users_conversations(self, p: Params) -> JsonObject:
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
    def _users_info(self, p: Params) -> JsonObject:
        user = self.users.get(p.get("user", ""))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": self._user_obj(user, _flag(p.get("include_locale")))}

    @_method("users.lookupByEmail")
    def _lookup_by_email(self, p: Params) -> JsonObject:
        email = str(p.get("email") or "").lower()
        user = next((u for u in self.users.values() if email and u.email.lower() == email), None)
        if user is None:
            raise SlackError("users_not_found")
        return {"user": self._user_obj(user)}

    @_method("usergroups.users.list")
    def _usergroup_users(self, p: Params) -> JsonObject:
        group = self.usergroups.get(p.get("usergroup", ""))
        if group is None:
            raise SlackError("no_such_subteam")
        return {"users": list(group["users"])}

    def _set_text(self, p: Params, attribute: str) -> JsonObject:
        channel = self._writable(p.get("channel"))
        value = str(p.get(attribute) or "")
        if len(value) > 250:
            raise SlackError("too_long")
        setattr(channel, attribute, value)
        return {"channel": self._channel_obj(channel)}
