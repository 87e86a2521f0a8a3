"""Reading what Slack sent. Every value a handler takes from a payload goes through these
accessors, so a payload of a shape Slack does not send raises `SlackPayloadError` (the view
answers 400) and text with control characters raises `SlackInputError` (the view answers with
a modal field error or an ephemeral message): neither reaches a service or the database."""

import re
from typing import TypeVar

from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from core.lookups import as_pk
from people.models.preference import SLACK_USER_ID

# Control characters but tab, newline and carriage return, and lone surrogates (JSON can carry
# them, UTF-8 cannot encode them): PostgreSQL refuses NUL, and none belongs in typed text.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
USER_ID = re.compile(SLACK_USER_ID)
CHANNEL_ID = re.compile(r"\A[CDG][A-Z0-9]{2,30}\Z")
VIEW_ID = re.compile(r"\AV[A-Z0-9]{2,30}\Z")
Row = TypeVar("Row", bound=Model)


class SlackPayloadError(Exception):
    """A signed request whose payload is not shaped as Slack sends it."""


class SlackInputError(Exception):
    """Text Beacon refuses; `errors` maps the modal blocks (or "text") to what is wrong."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def control_message() -> str:
    return _("Remove the control characters (such as NUL) from this text.")


def mapping(value: object, what: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise SlackPayloadError(f"{what} is not an object.")
    return value


def listing(value: object, what: str) -> list[object]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise SlackPayloadError(f"{what} is not a list.")
    return value


def text(value: object, what: str, *, block: str | None = None) -> str:
    """A string ("" when absent). Control characters in text a person typed (its modal
    `block`, or "text" for a command's words) are refused to them; elsewhere they make the
    payload one Slack would not send."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise SlackPayloadError(f"{what} is not text.")
    if CONTROL.search(value):
        if block is None:
            raise SlackPayloadError(f"{what} contains control characters.")
        raise SlackInputError({block: control_message()})
    return value


def identifier(
    value: object, what: str, pattern: re.Pattern[str], *, required: bool = False
) -> str:
    """A Slack id matching `pattern`, or "" when absent and not required."""
    value = text(value, what)
    if (value or required) and not pattern.match(value):
        raise SlackPayloadError(f"{what} is not a Slack id.")
    return value


def pk(value: object) -> int | None:
    """A primary key chosen in a select, or None when the value cannot be one."""
    return as_pk(value)


def picked(rows: QuerySet[Row], value: object) -> Row | None:
    """The row of `rows` a select or a button chose; None when there is none, or when the
    value cannot be a primary key (then without a query)."""
    key = pk(value)
    return None if key is None else rows.filter(pk=key).first()
