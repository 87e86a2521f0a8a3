from .base import OutgoingMessage
from .http import HttpAdapter


class TeamsAdapter(HttpAdapter):
    """A Microsoft Teams incoming webhook (Workflows), posting an Adaptive Card."""

    channel = "teams"

    def send(self, message: OutgoingMessage) -> str:
        link = message.data.get("url")
        card: dict[str, object] = {
            "type": "AdaptiveCard",
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "version": "1.4",
            "body": [
                {"type": "TextBlock", "text": message.subject, "weight": "Bolder", "wrap": True},
                {"type": "TextBlock", "text": message.text, "wrap": True},
            ],
            "actions": [{"type": "Action.OpenUrl", "title": "Open in Beacon", "url": link}]
            if link
            else [],
            "metadata": {"beaconDeliveryId": message.delivery_id},
        }
        payload = {
            "type": "message",
            "attachments": [
                {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
            ],
        }
        self.post(message.address, payload, {"Idempotency-Key": message.idempotency_key})
        return ""
