"""FakeSlack: the fake workspace served over HTTP, with faults and slowness on demand."""

import json
import time
from urllib.parse import parse_qsl

from ..fake_http import FakeHttpServer, Response
from .methods import METHODS, SlackMethods
from .records import SlackError
from .workspace import SlackWorkspace


def _json(status, payload, headers=None) -> Response:
    headers = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    return Response(status, json.dumps(payload).encode(), headers)


class FakeSlack(FakeHttpServer, SlackMethods):
    """Slack's Web API over one workspace: users, channels, usergroups and posted messages.

    Answers like Slack: HTTP 200 with `{"ok": true, ...}` or `{"ok": false, "error": ...}`.
    """

    def __init__(
        self, token: str = "xoxb-test", host: str = "127.0.0.1", port: int = 0, latency=0.0
    ):
        FakeHttpServer.__init__(self, host, port)
        SlackWorkspace.__init__(self)
        self.token = token
        self.latency = latency  # seconds every call takes (Slack's are ~0.1)
        self.slow_methods: dict[str, float] = {}  # method -> seconds it takes instead
        self._calls: list[tuple[str, dict]] = []
        self._faults: list[list] = []  # [method or None, Response, times left]
        self._down = False

    # -- helpers for tests

    def calls(self, method: str | None = None) -> list[tuple[str, dict]]:
        """(method, params) of every API call received, faulted ones included, in order."""
        with self._state:
            return [(m, p) for m, p in self._calls if method in (None, m)]

    def fail_next(self, method=None, *, status=None, error=None, retry_after=None, times=1):
        """Fail the next `times` calls (of `method`, or any).

        By default HTTP 500; `error="ratelimited"` or `retry_after` gives HTTP 429 with
        Retry-After; any other `error` alone gives HTTP 200 `{"ok": false, "error": error}`.
        """
        if status is None and (error == "ratelimited" or retry_after is not None):
            status = 429
        elif status is None:
            status = 200 if error else 500
        error = error or ("ratelimited" if status == 429 else "internal_error")
        headers = {"Retry-After": str(retry_after or 1)} if status == 429 else None
        response = _json(status, {"ok": False, "error": error}, headers)
        with self._state:
            self._faults.append([method, response, times])

    def set_down(self, down: bool = True):
        """While down, every call answers HTTP 503."""
        with self._state:
            self._down = down

    # -- the HTTP front

    def handle(self, request):
        path, _, query = request.path.partition("?")
        if not path.startswith("/api/"):
            return Response(404, b"not found")
        method = path.removeprefix("/api/")
        body = request.json if isinstance(request.json, dict) else request.form or {}
        params = {**dict(parse_qsl(query)), **body}
        authorization = request.header("Authorization") or ""
        token = authorization.removeprefix("Bearer ").strip() or params.get("token")
        wait = self.slow_methods.get(method, self.latency)
        if wait:
            time.sleep(wait)
        with self._state:
            self._calls.append((method, params))
            if self._down:
                return _json(503, {"ok": False, "error": "service_unavailable"})
            fault = self._take_fault(method)
            if fault:
                return fault
            if method not in METHODS:
                return _json(200, {"ok": False, "error": "unknown_method"})
            if token != self.token:
                return _json(200, {"ok": False, "error": "invalid_auth"})
            try:
                return _json(200, {"ok": True, **METHODS[method](self, params)})
            except SlackError as e:
                return _json(200, {"ok": False, "error": str(e)})

    # -- internals

    def _take_fault(self, method) -> Response | None:
        for fault in self._faults:
            if fault[0] in (None, method):
                fault[2] -= 1
                if fault[2] <= 0:
                    self._faults.remove(fault)
                return fault[1]
        return None
