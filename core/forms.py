"""Form helpers every front door's forms share: a service's refusal shown on the form, and a
list of names typed as text."""

import re
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import QuerySet

# Mixed into forms: the type checker reads it as one, so it knows their fields and errors.
if TYPE_CHECKING:
    _FormBase = forms.BaseForm
else:
    _FormBase = object


class ServiceErrorsMixin(_FormBase):
    """Show a service's ValidationError on the form and focus the first field in error."""

    def add_service_errors(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            by_field: dict[str, list[str]] = error.message_dict
        else:
            by_field = {NON_FIELD_ERRORS: error.messages}
        for field, messages in by_field.items():
            known = field in self.fields and field != NON_FIELD_ERRORS
            self.add_error(field if known else None, messages)
        self.focus_first_error()

    def focus_first_error(self) -> None:
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["autofocus"] = True
                return


class ListField(forms.CharField):
    """A list of names, typed as text separated by commas or new lines."""

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list) else value

    # A list of names where CharField gives one string: an override mypy calls incompatible.
    def to_python(self, value: Any | None) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [part.strip() for part in re.split(r"[,\n]", text) if part.strip()]


def active_people() -> QuerySet[Any]:
    return get_user_model().objects.filter(is_active=True).order_by("first_name", "username")


def _person_label(user: AbstractBaseUser) -> str:
    return str(getattr(user, "get_full_name", lambda: "")() or user.get_username())


class UserChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return _person_label(obj)


class UserMultipleChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return _person_label(obj)


def local_datetime_input() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
