"""Request bodies keep the types the API schema documents.

DRF reads input forgivingly: 1 becomes "1" in a text field, "5" and 5.0 become 5, 0 and "yes"
become False and True, and "" becomes null in a relation. The schema promises a string, an
integer, a boolean, a slug; so does this: a value of another JSON type answers 400 naming its
field (a dotted path inside lists and nested objects). Form bodies carry only text; there a
yes/no is `true` or `false` (or `True`, `False`), and nested objects are refused (the schema
documents JSON only for bodies that hold them). Every input serializer derives from
`InputSerializer` (or mixes in `StrictTypes`): config/tests/test_api_bodies.py sends each
documented field a value of another type.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from django.db import models
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from core.api.query import FALSE, TRUE
from core.api.types import Field, Serializer

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

Errors = dict[str, list["StrOrPromise"]]  # messages per field, by dotted path

TEXT = (
    serializers.CharField,
    serializers.ChoiceField,
    serializers.DateField,
    serializers.DateTimeField,
    serializers.TimeField,
    serializers.DurationField,
)
LISTS = (serializers.ListField, serializers.ListSerializer, serializers.ManyRelatedField)
REFUSALS = {
    "boolean": _("Give true or false."),
    "integer": _("Give a whole number."),
    "number": _("Give a number."),
    "decimal": _('Give the number as text, such as "1.5".'),
    "text": _("Give text."),
    "list": _("Give a list."),
    "object": _("Give an object."),
}


def _kind(field: Field) -> str | None:
    """The JSON type the schema documents for a field (as drf-spectacular maps it), or None."""
    if isinstance(field, serializers.BooleanField):
        return "boolean"
    if isinstance(field, serializers.IntegerField | serializers.PrimaryKeyRelatedField):
        return "integer"
    if isinstance(field, serializers.FloatField):
        return "number"
    if isinstance(field, serializers.DecimalField):
        return "decimal"  # a string, as DRF renders decimals
    if isinstance(field, serializers.SlugRelatedField):
        # django-stubs read a serializer's `queryset` through Manager's descriptor.
        model = field.queryset.model  # type: ignore[arg-type, union-attr]
        target = model._meta.get_field(field.slug_field)
        return "integer" if isinstance(target, models.IntegerField) else "text"
    if isinstance(field, TEXT):
        return "text"
    if isinstance(field, LISTS):
        return "list"
    if isinstance(field, serializers.Serializer):
        return "object"
    return None


def _has_kind(value: object, kind: str) -> bool:
    if kind == "boolean":
        return isinstance(value, bool)
    if kind in ("integer", "number") and isinstance(value, bool):
        return False
    if kind == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    return isinstance(value, {"number": int | float, "list": list, "object": dict}.get(kind, str))


def _json_refusal(field: Field, value: object) -> StrOrPromise | None:
    """Why a JSON value does not have the field's type, or None."""
    kind = _kind(field)
    if kind and not _has_kind(value, kind):
        return REFUSALS[kind]
    if isinstance(field, serializers.RelatedField) and value == "":
        return _("This field may not be blank.")
    return None


def _items(field: Field) -> Field:
    """The field that reads each item of a list field."""
    # Every one of LISTS has one or the other.
    items = getattr(field, "child", None) or getattr(field, "child_relation", None)
    return cast("Field", items)


def _json_errors(fields: Mapping[str, Field], data: Mapping[str, Any], prefix: str = "") -> Errors:
    errors: Errors = {}
    for name, field in fields.items():
        if field.read_only or name not in data or data[name] is None:
            continue
        path, value = f"{prefix}{name}", data[name]
        refusal = _json_refusal(field, value)
        if refusal:
            errors[path] = [refusal]
        elif isinstance(field, LISTS):
            for index, item in enumerate(value):
                errors.update(
                    _json_errors({str(index): _items(field)}, {str(index): item}, f"{path}.")
                )
        elif isinstance(field, serializers.Serializer):
            errors.update(_json_errors(field.fields, value, f"{path}."))
    return errors


def _form_errors(fields: Mapping[str, Field], data: QueryDict) -> Errors:
    errors: Errors = {}
    for name, field in fields.items():
        values = data.getlist(name)
        if field.read_only or not values:
            continue
        if isinstance(field, serializers.BaseSerializer):
            errors[name] = [_("Send nested objects in a JSON body.")]
        elif isinstance(field, serializers.BooleanField) and values[-1] not in TRUE | FALSE:
            errors[name] = [_("Give true or false.")]
        elif isinstance(field, serializers.RelatedField) and "" in values:
            errors[name] = [_("This field may not be blank.")]
    return errors


# Mixed into serializers: the type checker reads it as one.
if TYPE_CHECKING:
    _SerializerBase = Serializer
else:
    _SerializerBase = object


class StrictTypes(_SerializerBase):
    """Mixed into a serializer that reads a request body."""

    def to_internal_value(self, data: Any) -> Any:
        if hasattr(data, "getlist"):  # a form: text only
            errors = _form_errors(self.fields, data)
        elif isinstance(data, dict):
            errors = _json_errors(self.fields, data)
        else:
            errors = {}  # not an object: DRF says so itself
        if errors:
            raise ValidationError(errors)
        return super().to_internal_value(data)


class InputSerializer(StrictTypes, Serializer):
    pass
