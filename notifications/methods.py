"""How a notification reaches people: methods in order, and the addresses each one reaches.

A method either reaches each person of the audience at their own contact address, or one
address the caller resolved when it wrote the notification (a channel, a webhook, …)."""

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from django.conf import settings

from .channels import get_adapter

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, User

EACH_PERSON = "each_person"

Reached = list[tuple[str, "User | None"]]


@dataclass(frozen=True)
class Method:
    channel: str
    target: str
    address: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def direct_methods(channels: Iterable[str]) -> list[Method]:
    return [Method(channel, EACH_PERSON) for channel in channels]


def drill_method() -> Method:
    channel, _, address = settings.BEACON_DRILL_CHANNEL.partition(":")
    return Method(channel, "fixed", address)


def contact_address(person: "AbstractBaseUser", channel: str) -> str:
    preference = getattr(person, "preference", None)
    if channel == "email":
        return str(getattr(person, "email", ""))
    if channel in ("sms", "voice"):
        return str(preference.phone) if preference else ""
    if channel == "slack":
        return (str(preference.slack_user_id) if preference else "") or str(
            getattr(person, "email", "")
        )
    return ""


def addresses(method: Method, *, people: Sequence["User"]) -> Reached:
    """(address, person) pairs a method reaches; empty when it reaches nobody."""
    if not get_adapter(method.channel).is_configured():
        return []
    if method.target == EACH_PERSON:
        pairs = [(contact_address(p, method.channel), p) for p in people]
        return [(address, person) for address, person in pairs if address]
    return [(method.address, None)] if method.address else []
