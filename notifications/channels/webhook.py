import hashlib
import hmac
import time

from django.conf import settings

from .base import OutgoingMessage
from .http import HttpAdapter


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"v1={digest.hexdigest()}"


class WebhookAdapter(HttpAdapter):
    """A JSON POST signed with HMAC-SHA256 over "<timestamp>.<body>"; the idempotency key
    travels as a header so the receiver can drop a repeat."""

    channel = "webhook"

    def sign(self, body: bytes) -> dict[str, str]:
        timestamp = str(int(time.time()))
        return {
            "X-Beacon-Timestamp": timestamp,
            "X-Beacon-Signature": signature(settings.BEACON_WEBHOOK_SECRET, timestamp, body),
        }

    def send(self, message: OutgoingMessage) -> str:
        payload = {
            "delivery_id": message.delivery_id,
            "event": message.event,
            "subject": message.subject,
            "text": message.text,
            "data": message.data,
        }
        self.post(message.address, payload, {"Idempotency-Key": message.idempotency_key})
        return ""
