"""The API's OpenAPI schema, made to tell the truth in one place (REST_FRAMEWORK's
DEFAULT_SCHEMA_CLASS) rather than endpoint by endpoint:

- every operation documents the errors it can answer, with a shared body: 400 (field errors),
  401, 403, 429 (with Retry-After) everywhere; 404 where the path names an object or the list is
  paginated; 409 on writes to an object whose state can refuse them (viewsets with
  `refused_by_state = True`); 422 and the `Idempotency-Key` header on @idempotent POSTs;
- read-only fields are nullable, or allow "" (in their enum; a URL only when not empty),
  when the model field they read is;
- a path parameter of digits is an integer;
- a body with nested objects is documented as JSON only (forms cannot carry them);
- an operation's description is the docstring of its action or of its own view class, and a
  body's that of its own serializer class, never one inherited from a mixin.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Field as ModelField
from django.db.models import ForeignObjectRel
from django.utils.translation import gettext_lazy as _
from drf_spectacular.drainage import has_override
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent, append_meta, force_instance, get_doc
from drf_spectacular.utils import Direction, OpenApiParameter
from rest_framework import serializers

from .idempotency import HEADER_PARAMETER
from .types import Field, Serializer

Schema = dict[str, Any]  # a piece of the OpenAPI document

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
JSON = "application/json"
DIGITS = r"^\d+$"  # a lookup_value_regex of digits: the path names a whole number
RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    int,
    OpenApiParameter.HEADER,
    response=[429],
    description=_("Seconds to wait before trying again."),
)
FIELD_ERRORS = ResolvedComponent(
    name="FieldErrors",
    type=ResolvedComponent.SCHEMA,
    object="FieldErrors",
    schema={
        "type": "object",
        "description": str(
            _(
                "What was wrong with the request: messages per field (nested input nests the "
                "same way, lists per item), or `detail` for the request as a whole."
            )
        ),
        "additionalProperties": {
            "anyOf": [{"type": "string"}, {"type": "array", "items": {}}, {"type": "object"}]
        },
    },
)
ERROR_DESCRIPTIONS = {
    "400": _("The request is malformed or a value is invalid; nothing was changed."),
    "401": _("No valid credentials were sent."),
    "403": _("You are not allowed to do this."),
    "404": _("Not found, or not yours to see."),
    "409": _("The object's current state does not allow this."),
    "422": _("This Idempotency-Key was already used for a different request."),
    "429": _("Too many requests: wait for Retry-After seconds."),
}


class ErrorSerializer(Serializer):
    """An error about the request as a whole."""

    detail = serializers.CharField(read_only=True)


def _model_field(
    field: Field,
) -> tuple[ModelField[Any, Any] | ForeignObjectRel | None, bool]:
    """The model field a read-only serializer field reads, and whether any link of its source
    may be null, when the source is a chain of model fields; (None, False) otherwise."""
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or not field.source_attrs:
        return None, False
    nullable, model_field = False, None
    for attr in field.source_attrs:
        if model is None:
            return None, False
        try:
            model_field = model._meta.get_field(attr)
        except FieldDoesNotExist:
            return None, False
        nullable = nullable or model_field.null
        model = model_field.related_model
    return model_field, nullable


class BeaconAutoSchema(AutoSchema):
    def get_override_parameters(self) -> list[OpenApiParameter | Serializer | type[Serializer]]:
        parameters = [*super().get_override_parameters(), RETRY_AFTER]
        if self._is_idempotent():
            parameters.append(HEADER_PARAMETER)
        return parameters

    # drf-spectacular's AutoSchema drops DRF's arguments here (and ignores the override error).
    def get_description(self) -> str:  # type: ignore[override]
        action = getattr(self.view, getattr(self.view, "action", self.method.lower()), None)
        own_doc = self.view.__class__.__dict__.get("__doc__")
        return get_doc(action) or (get_doc(self.view.__class__) if own_doc else "")

    def map_parsers(self) -> list[str]:
        media_types = super().map_parsers()
        serializer = force_instance(self.get_request_serializer())
        fields = getattr(serializer, "fields", {})
        if any(isinstance(field, serializers.BaseSerializer) for field in fields.values()):
            # Forms cannot carry nested objects the way OpenAPI encodes them: JSON only.
            return [media_type for media_type in media_types if media_type == JSON]
        return media_types

    def _resolve_path_parameters(self, variables: list[str]) -> list[Schema]:
        parameters: list[Schema] = super()._resolve_path_parameters(variables)
        for parameter in parameters:
            if parameter["schema"] == {"type": "string", "pattern": DIGITS}:
                parameter["schema"] = {"type": "integer", "minimum": 0}
        return parameters

    def _is_idempotent(self) -> bool:
        name = getattr(self.view, "action", None) or self.method.lower()
        handler = getattr(self.view, name, None)
        return self.method == "POST" and bool(getattr(handler, "idempotent", False))

    def _error_codes(self) -> list[str]:
        codes = ["400", "401", "403"]
        names_an_object = "{" in self.path
        if names_an_object or (self._is_list_view() and self._get_paginator()):
            codes.append("404")
        refused_by_state = getattr(self.view, "refused_by_state", False)
        if names_an_object and refused_by_state and self.method in UNSAFE_METHODS:
            codes.append("409")
        if self._is_idempotent():
            codes.append("422")
        return [*codes, "429"]

    def _get_response_bodies(self, direction: Direction = "response") -> Schema:
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                if code == "400":
                    self.registry.register_on_missing(FIELD_ERRORS)
                    body: Schema | type[ErrorSerializer] = FIELD_ERRORS.ref
                else:
                    body = ErrorSerializer
                responses[code] = self._get_response_for_code(body, code, direction=direction)
        for code, response in responses.items():
            if code in ERROR_DESCRIPTIONS and not response["description"]:
                response["description"] = str(ERROR_DESCRIPTIONS[code])
        return responses

    def _map_basic_serializer(
        self, serializer: Serializer | type[Serializer], direction: Direction
    ) -> Schema:
        schema: Schema = super()._map_basic_serializer(serializer, direction)
        serializer_class = type(force_instance(serializer))
        if not serializer_class.__dict__.get("__doc__") and not has_override(
            serializer, "description"
        ):
            schema.pop("description", None)  # a mixin's docstring says nothing of this body
        return schema

    def _map_serializer_field(
        self, field: Field, direction: Direction, bypass_extensions: bool = False
    ) -> Schema | None:
        schema: Schema | None = super()._map_serializer_field(field, direction, bypass_extensions)
        if schema is None or direction != "response" or not field.read_only:
            return schema
        if isinstance(field, (serializers.ListSerializer, serializers.ManyRelatedField)):
            return schema
        model_field, nullable = _model_field(field)
        if model_field is None:
            return schema
        if nullable and not schema.get("nullable"):
            schema = append_meta(schema, {"nullable": True})
        # A relation's own end (ForeignObjectRel) is no ModelField, and has no `blank`.
        if (
            isinstance(model_field, ModelField)
            and not model_field.is_relation
            and model_field.blank
        ):
            if "enum" in schema and "" not in schema["enum"]:
                schema["enum"] = [*schema["enum"], ""]
            elif "format" in schema:
                # "" is no URI (or e-mail …): the format holds only for a value.
                inner = {key: schema.pop(key) for key in ("type", "format") if key in schema}
                schema["oneOf"] = [inner, {"type": "string", "maxLength": 0}]
        return schema
