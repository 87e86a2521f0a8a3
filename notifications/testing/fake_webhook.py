"""A fake webhook receiver with scripted answers (errors, rate limits, hangs)."""

import hashlib
import hmac
import json
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

from .fake_http import FakeHttpServer, RecordedRequest, Response


@dataclass
class ScriptedResponse:
    status: int = 200
    body: bytes | str | dict[str, Any] | list[Any] = b"ok"  # a dict or list is sent as JSON
    headers: dict[str, str] | None = None
    delay: float = 0.0

    def to_response(self) -> Response:
        headers = dict(self.headers or {})
        body = self.body
        if isinstance(body, dict | list):
            body = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            body = body.encode()
        return Response(self.status, body, headers)


@dataclass
class _Queued:
    """A scripted answer for the next `times` requests."""

    response: ScriptedResponse
    times: int


class FakeWebhookReceiver(FakeHttpServer):
    """Accepts POSTs to any path; answers from a FIFO of scripted responses, then the default."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        super().__init__(host, port)
        self._script_lock = threading.Lock()
        self.reset()

    def respond(
        self,
        status: int = 200,
        body: bytes | str | dict[str, Any] | list[Any] = b"ok",
        headers: dict[str, str] | None = None,
        times: int | None = None,
        delay: float = 0.0,
    ) -> None:
        """Set the default answer (`times=None`), or queue one for the next `times` requests."""
        scripted = ScriptedResponse(status, body, headers, delay)
        with self._script_lock:
            if times is None:
                self._default = scripted
            elif times > 0:
                self._script.append(_Queued(scripted, times))

    def fail(self, status: int = 500, times: int | None = None) -> None:
        self.respond(status, b"error", times=times)

    def rate_limit(self, retry_after: float = 2, times: int | None = 1) -> None:
        self.respond(429, b"rate limited", {"Retry-After": str(retry_after)}, times=times)

    def hang(self, seconds: float, times: int | None = None) -> None:
        """Answer 200 only after `seconds`, so that a client's timeout fires first."""
        self.respond(200, delay=seconds, times=times)

    def reset(self) -> None:
        """Forget the script and the recorded requests; answer 200 "ok" again."""
        with self._script_lock:
            self._default = ScriptedResponse()
            self._script: deque[_Queued] = deque()
        self.clear()

    def received_ids(self, header: str = "Idempotency-Key") -> list[str]:
        """The values of `header`, in arrival order (requests without it are skipped)."""
        values = (r.header(header) for r in self.requests)
        return [v for v in values if v is not None]

    def successful_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.answered_status and 200 <= r.answered_status < 300]

    def handle(self, request: RecordedRequest) -> Response:
        if request.method != "POST":
            return Response(405, b"method not allowed", {"Allow": "POST"})
        with self._script_lock:
            scripted = self._default
            if self._script:
                entry = self._script[0]
                scripted, entry.times = entry.response, entry.times - 1
                if entry.times <= 0:
                    self._script.popleft()
        if scripted.delay:
            self.pause(scripted.delay)
        return scripted.to_response()


def verify_signature(request: RecordedRequest, secret: str | bytes) -> bool:
    """Check `X-Beacon-Signature: v1=<hex hmac-sha256(secret, b"<timestamp>." + body)>`."""
    timestamp = request.header("X-Beacon-Timestamp")
    signature = request.header("X-Beacon-Signature")
    if not timestamp or not signature:
        return False
    key = secret.encode() if isinstance(secret, str) else secret
    expected = hmac.new(key, f"{timestamp}.".encode() + request.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(f"v1={expected}", signature.strip())
