"""Serializer fields shared by every API module: people, text a service checks, lists of
strings."""

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


def read_only_username(**kwargs: Any) -> serializers.SlugRelatedField:  # type: ignore[type-arg]
    """A person shown by username."""
    return serializers.SlugRelatedField(slug_field="username", read_only=True, **kwargs)


def text_field(**kwargs: Any) -> serializers.CharField:
    # Blank passes here so that the service answers with its own message.
    return serializers.CharField(allow_blank=True, **kwargs)


def strings_field(**kwargs: Any) -> serializers.ListField:
    return serializers.ListField(child=serializers.CharField(), **kwargs)


@extend_schema_field(OpenApiTypes.STR)
class FullNameField(serializers.Field):  # type: ignore[type-arg]
    """A person's full name, or their username when they have none."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, user: Any) -> str:
        return display_name(user)
