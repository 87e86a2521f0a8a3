"""JSON over HTTP for the webhook-style adapters, with one mapping of failures."""

import json
from collections.abc import Mapping

import requests
from django.conf import settings

from .base import ChannelAdapter, PermanentError, RetryableError, parse_retry_after

RETRYABLE_STATUSES = {408, 425, 429}


class HttpAdapter(ChannelAdapter):
    def __init__(self) -> None:
        self.session = requests.Session()

    def post(
        self, url: str, payload: Mapping[str, object], headers: Mapping[str, str] | None = None
    ) -> requests.Response:
        body = json.dumps(payload, separators=(",", ":"), default=str).encode()
        try:
            response = self.session.post(
                url,
                data=body,
                headers={"Content-Type": "application/json", **self.sign(body), **(headers or {})},
                timeout=(settings.BEACON_HTTP_CONNECT_TIMEOUT, settings.BEACON_HTTP_TIMEOUT),
            )
        except requests.Timeout as error:
            raise RetryableError(f"timed out: {error}") from error
        except requests.RequestException as error:
            raise RetryableError(f"could not connect: {error}") from error
        if response.ok:
            return response
        reason = f"HTTP {response.status_code}: {response.text[:200]}".strip()
        if response.status_code in RETRYABLE_STATUSES or response.status_code >= 500:
            raise RetryableError(
                reason, retry_after=parse_retry_after(response.headers.get("Retry-After"))
            )
        raise PermanentError(reason)

    def sign(self, body: bytes) -> dict[str, str]:
        return {}
