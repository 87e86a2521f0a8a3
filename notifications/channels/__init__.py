"""Channel adapters: one interface (base.py), chosen by channel name in settings."""

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from .base import ChannelAdapter, DeliveryError, OutgoingMessage, PermanentError, RetryableError


@cache
def get_adapter(channel: str) -> ChannelAdapter:
    try:
        path = settings.BEACON_CHANNEL_ADAPTERS[channel]
    except KeyError:
        raise PermanentError(f"No adapter is registered for the {channel!r} channel.") from None
    adapter: ChannelAdapter = import_string(path)()
    return adapter


__all__ = [
    "ChannelAdapter",
    "DeliveryError",
    "OutgoingMessage",
    "PermanentError",
    "RetryableError",
    "get_adapter",
]
