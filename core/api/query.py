"""Query parameters are input too: a value the schema does not allow answers 400 naming the
parameter, never a silent default. REST_FRAMEWORK's defaults use these classes.

- `FilterBackend`: django-filter's backend, which already refuses an unknown choice, slug or
  number, also refuses what django-filter reads as "not given": a yes/no other than `true` or
  `false` (or Python's `True`, `False`), an empty value where a value is typed, and a repeated
  parameter that takes one value.
- `IntegerFilter`: a whole number (django-filter's NumberFilter takes 1.5, and the lookup on an
  integer field truncates it).
- `RelatedSlugFilter`, `RelatedSlugsFilter`: a related object's slug or name, typed as a string
  in the schema.
- `Pagination`: `page` is a whole number from 1 (400 otherwise); a page past the end is 404.
- `QuerySerializer`: for a view's own parameters, read the same way.

The portal keeps django-filter's forgiving reading of its own forms.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, cast

import django_filters
from django import forms
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.views import APIView

from core.api.types import Field, Serializer

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# A yes/no in text (a query or a form): as JSON writes it, or as Python does. django-filter and
# DRF read both; anything else django-filter would read as "not given".
TRUE, FALSE = {"true", "True"}, {"false", "False"}
PAGE_NUMBER = re.compile(r"[0-9]+")

Kinds = Callable[[Any], dict[str, bool]]  # how a (form or serializer) field reads its values


def _refusal(
    values: list[str], *, many: bool = False, blank: bool = False, boolean: bool = False
) -> StrOrPromise | None:
    """Why these values of one query parameter are refused, or None."""
    if len(values) > 1 and not many:
        return _("Give this parameter once.")
    if "" in values and not blank:
        return _("Give a value, or leave the parameter out.")
    if boolean and values[0] not in TRUE | FALSE:
        return _("Give true or false.")
    return None


def _refusals(
    query_params: QueryDict, fields: Mapping[str, Any], kinds: Kinds
) -> dict[str, list[StrOrPromise]]:
    """{name: [why]} for the parameters refused; `kinds(field)` says how a field reads."""
    errors: dict[str, list[StrOrPromise]] = {}
    for name, field in fields.items():
        values = query_params.getlist(name)
        refusal = _refusal(values, **kinds(field)) if values else None
        if refusal:
            errors[name] = [refusal]
    return errors


def _filter_kinds(field: forms.Field) -> dict[str, bool]:
    return {
        "many": isinstance(field, forms.MultipleChoiceField),
        "blank": type(field) is forms.CharField,
        "boolean": isinstance(field, forms.NullBooleanField),
    }


def _serializer_kinds(field: Field) -> dict[str, bool]:
    return {
        "many": isinstance(field, (serializers.ListField, serializers.ManyRelatedField)),
        "blank": getattr(field, "allow_blank", False),
        "boolean": isinstance(field, serializers.BooleanField),
    }


# django-filter ships no types: its classes are Any to the type checker.
class FilterBackend(DjangoFilterBackend):  # type: ignore[misc]
    def filter_queryset(
        self, request: Request, queryset: QuerySet[Any], view: APIView
    ) -> QuerySet[Any]:
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        errors = _refusals(request.query_params, filterset.form.fields, _filter_kinds)
        if errors:
            raise ValidationError(errors)
        return cast("QuerySet[Any]", super().filter_queryset(request, queryset, view))


@extend_schema_field(OpenApiTypes.INT)
class IntegerFilter(django_filters.NumberFilter):  # type: ignore[misc]  # as FilterBackend
    field_class = forms.IntegerField


# The schema cannot infer these types from the related field: they are declared.
@extend_schema_field(OpenApiTypes.STR)
class RelatedSlugFilter(django_filters.CharFilter):  # type: ignore[misc]  # as FilterBackend
    """One related object by its slug or name: `field_name="service__slug"`."""


@extend_schema_field(OpenApiTypes.STR)
class RelatedSlugsFilter(django_filters.ModelMultipleChoiceFilter):  # type: ignore[misc]
    """Any of the related objects named by the last part of `field_name` (`severity__name`)."""

    def __init__(self, field_name: str, queryset: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(
            field_name=field_name,
            to_field_name=field_name.rpartition("__")[2],
            queryset=queryset,
            **kwargs,
        )


class Pagination(PageNumberPagination):
    last_page_strings = ()  # "last" is no page number

    def get_page_number(self, request: Request, paginator: Paginator[Any]) -> int:
        values = request.query_params.getlist(self.page_query_param)
        if not values:
            return 1
        if len(values) == 1 and PAGE_NUMBER.fullmatch(values[0]) and int(values[0]) >= 1:
            return int(values[0])
        raise ValidationError({self.page_query_param: [_("Give a page number from 1.")]})

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
        return parameters


class QuerySerializer(Serializer):
    """Parses query parameters (`data=request.query_params`) as FilterBackend reads filters:
    a field that takes one value is given once, and given a value."""

    def to_internal_value(self, data: QueryDict) -> Any:
        errors = _refusals(data, self.fields, _serializer_kinds)
        if errors:
            raise ValidationError(errors)
        return super().to_internal_value(data)
