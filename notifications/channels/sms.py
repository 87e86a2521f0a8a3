from django.conf import settings

from .base import OutgoingMessage, PermanentError
from .http import HttpAdapter


class SmsAdapter(HttpAdapter):
    """SMS through the provider's webhook; the voice adapter asks the same provider to call."""

    channel = "sms"
    mode = "sms"

    def is_configured(self) -> bool:
        return bool(settings.BEACON_SMS_WEBHOOK_URL)

    def send(self, message: OutgoingMessage) -> str:
        if not self.is_configured():
            raise PermanentError("No SMS provider is configured (BEACON_SMS_WEBHOOK_URL).")
        payload = {
            "to": message.address,
            "mode": self.mode,
            "body": message.text[: settings.BEACON_SMS_MAX_LENGTH],
            "reference": message.idempotency_key,
        }
        headers = {"Idempotency-Key": message.idempotency_key}
        if settings.BEACON_SMS_WEBHOOK_TOKEN:
            headers["Authorization"] = f"Bearer {settings.BEACON_SMS_WEBHOOK_TOKEN}"
        response = self.post(settings.BEACON_SMS_WEBHOOK_URL, payload, headers)
        try:
            return str(response.json().get("id", ""))[:200]
        except ValueError:
            return ""


class VoiceAdapter(SmsAdapter):
    channel = "voice"
    mode = "voice"
