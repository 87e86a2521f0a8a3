"""Fields the incident serializers share."""

from rest_framework import serializers


def text_field(**kwargs):
    # Blank passes here so that the service answers with its own message.
    return serializers.CharField(allow_blank=True, **kwargs)


def username(source=None, **kwargs):
    """A user shown by username, read-only."""
    return serializers.SlugRelatedField(
        slug_field="username", read_only=True, source=source, **kwargs
    )
