"""Reading an id someone typed (in an address, a form, a Slack select)."""

import re

PK = re.compile(r"\A[1-9][0-9]{0,17}\Z")  # ASCII digits that fit a 64-bit primary key


def as_pk(value: object) -> int | None:
    """The primary key `value` spells, or None: "²" and a 30-digit number are no id."""
    return int(value) if isinstance(value, str) and PK.match(value) else None
