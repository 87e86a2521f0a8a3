"""What the services that take `**changes` share: refusing a field they do not edit, and
stripping the text fields given."""

from collections.abc import Collection
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def refuse_unknown(changes: dict[str, Any], allowed: Collection[str]) -> None:
    unknown = set(changes) - set(allowed)
    if unknown:
        raise ValidationError({field: _("This field cannot be edited here.") for field in unknown})


def strip(changes: dict[str, Any], *fields: str) -> None:
    for field in fields:
        if field in changes:
            changes[field] = (changes[field] or "").strip()
