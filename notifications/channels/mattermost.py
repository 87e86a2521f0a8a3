from .base import OutgoingMessage
from .http import HttpAdapter


class MattermostAdapter(HttpAdapter):
    """A Mattermost incoming webhook."""

    channel = "mattermost"

    def send(self, message: OutgoingMessage) -> str:
        payload = {
            "text": message.text,
            "props": {"beacon_delivery_id": message.delivery_id},
        }
        self.post(message.address, payload, {"Idempotency-Key": message.idempotency_key})
        return ""
