"""DRF's Serializer and Field as the type checker reads them: generic in
djangorestframework-stubs only (the classes are not subscriptable at run time), so the API's
serializers derive from these names, and annotations use them."""

from typing import TYPE_CHECKING, Any

from rest_framework import serializers

if TYPE_CHECKING:
    Serializer = serializers.Serializer[Any]
    Field = serializers.Field[Any, Any, Any, Any]
else:
    Serializer = serializers.Serializer
    Field = serializers.Field
