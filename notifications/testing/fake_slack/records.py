"""What the fake workspace is made of: users, channels, messages; and the API's error."""

from dataclasses import dataclass, field
from typing import Any, TypedDict

# What a Web API method is called with and answers: JSON objects (form fields come as text).
Params = dict[str, Any]
JsonObject = dict[str, Any]


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
    blocks: list[JsonObject] | None = None
    metadata: JsonObject | None = None
    thread_ts: str | None = None
    ephemeral_to: str | None = None  # chat.postEphemeral's recipient


class SlackUsergroup(TypedDict):
    handle: str
    users: list[str]


class SlackError(Exception):
    """Ends an API method with `{"ok": false, "error": str(self)}`."""
