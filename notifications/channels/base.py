"""What every channel adapter shares. Adapters never touch models: they get a message and
either return the provider's reference or raise a retryable or permanent error."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

# The event of a delivery that archives the (Slack) channel it is addressed to, not a message.
ARCHIVE_CHANNEL = "channel_archive"


@dataclass(frozen=True)
class OutgoingMessage:
    delivery_id: int
    idempotency_key: str
    channel: str
    address: str
    event: str
    subject: str
    content: dict[str, Any]  # this channel's rendering: text, and html for email
    data: dict[str, Any] = field(default_factory=dict)  # the event's facts, for receivers

    @property
    def text(self) -> str:
        return str(self.content.get("text") or self.subject)


class DeliveryError(Exception):
    retryable = False

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RetryableError(DeliveryError):
    """Worth another attempt: timeouts, 5xx, rate limits (with the wait the provider asked)."""

    retryable = True


class PermanentError(DeliveryError):
    """Another attempt would fail the same way: bad address, refused credentials, 4xx."""


class ChannelAdapter:
    channel = ""

    def is_configured(self) -> bool:
        return True

    def send(self, message: OutgoingMessage) -> str:
        """Send once; return the provider's reference for the message (may be empty)."""
        raise NotImplementedError


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), or None."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())
