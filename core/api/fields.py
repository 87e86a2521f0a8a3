"""Serializer fields for people, shared by every API module."""

from typing import Any

from django.contrib.auth import get_user_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.names import display_name


def username_field(**kwargs: Any) -> serializers.SlugRelatedField:  # type: ignore[type-arg]
    """A person by username. Any account: the services refuse an inactive one themselves."""
    return serializers.SlugRelatedField(
        slug_field="username", queryset=get_user_model().objects.all(), **kwargs
    )


@extend_schema_field(OpenApiTypes.STR)
class FullNameField(serializers.Field):  # type: ignore[type-arg]
    """A person's full name, or their username when they have none."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, user: Any) -> str:
        return display_name(user)
