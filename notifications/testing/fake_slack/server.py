"""FakeSlack: the fake workspace served over HTTP, with faults and slowness on demand."""

import json
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl

from ..fake_http import FakeHttpServer, RecordedRequest, Response
from .methods import METHODS, SlackMethods
from .records import JsonObject, Params, SlackError
from .workspace import SlackWorkspace


@dataclass
class _Fault:
    """The answer to the next `times` calls of `method` (of any, when None)."""

    method: str | None
    response: Response
    times: int


def _json(status: int, payload: JsonObject, headers: dict[str, str] | None = None) -> Response:
    headers = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    return Response(status, json.dumps(payload).encode(), headers)


class FakeSlack(FakeHttpServer, SlackMethods):
    """Slack's Web API over one workspace: users, channels, usergroups and posted messages.

    Answers like Slack: HTTP 200 with `{"ok": true, ...}` or `{"ok": false, "error": ...}`.
    """

    def __init__(
        self,
        token: str = "xoxb-test",
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
    ) -> None:
        FakeHttpServer.__init__(self, host, port)
        SlackWorkspace.__init__(self)
        self.token = token
        self.latency = latency  # seconds every call takes (Slack's are ~0.1)
        self.slow_methods: dict[str, float] = {}  # method -> seconds it takes instead
        self._calls: list[tuple[str, Params]] = []
        self._faults: list[_Fault] = []
        self._down = False

    # -- helpers for tests

    def calls(self, method: str | None = None) -> list[tuple[str, Params]]:
        """(method, params) of every API call received, faulted ones included, in order."""
        with self._state:
            return [(m, p) for m, p in self._calls if method in (None, m)]

    def fail_next(
        self,
        method: str | None = None,
        *,
        status: int | None = None,
        error: str | None = None,
        retry_after: float | None = None,
        times: int = 1,
    ) -> None:
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
            self._faults.append(_Fault(method, response, times))

    def set_down(self, down: bool = True) -> None:
        """While down, every call answers HTTP 503."""
        with self._state:
            self._down = down

    # -- the HTTP front

    def handle(self, request: RecordedRequest) -> Response:
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

    def _take_fault(self, method: str) -> Response | None:
        for fault in self._faults:
            if fault.method in (None, method):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault.response
        return None
