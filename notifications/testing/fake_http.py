"""A threaded local HTTP server that records every request: the base of the fakes."""

import contextlib
import json
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from typing import Any, Self
from urllib.parse import parse_qsl


@dataclass
class RecordedRequest:
    """One request as the fake received it; `answered_status` is the status it sent back."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    json: Any
    form: dict[str, str] | None
    received_at: float
    answered_status: int | None = None

    def header(self, name: str, default: str | None = None) -> str | None:
        """A header's value, whatever the case of `name`."""
        name = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == name), default)


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] | None = None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's backlog is 5: many clients connecting at once (slack_sdk opens a connection
    # per call) had SYNs dropped and retried a second later, which no real Slack does.
    request_queue_size = 128
    server_address: tuple[str, int]  # bound to an IPv4 host and port
    fake: "FakeHttpServer"  # whose `handle` answers

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN, which can be slow: not needed here.
        TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: tuple[str, int]
    ) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that went away
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every answer carries Content-Length
    disable_nagle_algorithm = True  # else each keep-alive answer waits ~40 ms on a delayed ACK
    server: _Server

    def _dispatch(self) -> None:
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = _record(self.command, self.path, dict(self.headers.items()), body)
        fake._add(request)
        try:
            response = fake.handle(request)
        except Exception:
            response = Response(500, traceback.format_exc().encode())  # a bug in the fake
        fake._answered(request, response.status)
        self.send_response(response.status)
        headers = {"Content-Type": "text/plain; charset=utf-8", **(response.headers or {})}
        for name, value in headers.items():
            self.send_header(name, str(value))
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _record(method: str, path: str, headers: dict[str, str], body: bytes) -> RecordedRequest:
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    parsed_json = form = None
    if content_type.startswith("application/x-www-form-urlencoded"):
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    elif body:
        with contextlib.suppress(ValueError):
            parsed_json = json.loads(body)
    return RecordedRequest(method, path, headers, body, parsed_json, form, time.monotonic())


class FakeHttpServer:
    """Serves on 127.0.0.1 on a free port in a daemon thread; subclasses implement `handle`.

    Use as a context manager or with `start()`/`stop()`.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self._address = (host, port)
        self._changed = threading.Condition()
        self._requests: list[RecordedRequest] = []
        self._stopping = threading.Event()  # wakes handlers that sleep (see `pause`)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def handle(self, request: RecordedRequest) -> Response:
        """The answer to `request`; runs in the request's own thread."""
        raise NotImplementedError

    def start(self) -> Self:
        self._stopping.clear()
        self._server = _Server(self._address, _Handler)
        self._server.fake = self
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}-{self._server.server_port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        thread.join()
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """`http://127.0.0.1:PORT`, without a trailing slash."""
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of the recorded requests, in arrival order."""
        with self._changed:
            return list(self._requests)

    def clear(self) -> None:
        """Forget the recorded requests."""
        with self._changed:
            self._requests.clear()

    def wait_for(
        self,
        predicate_or_count: int | Callable[[list[RecordedRequest]], bool] = 1,
        timeout: float = 10,
    ) -> list[RecordedRequest]:
        """Wait until `count` requests arrived, or `predicate(requests)` is true.

        Returns the requests; raises AssertionError on timeout.
        """
        if callable(predicate_or_count):
            predicate = predicate_or_count
            wanted = f"{getattr(predicate, '__name__', predicate)} to be true"
        else:
            count = predicate_or_count
            predicate, wanted = (lambda requests: len(requests) >= count), f"{count} request(s)"
        with self._changed:
            if self._changed.wait_for(lambda: predicate(list(self._requests)), timeout):
                return list(self._requests)
            seen = [f"{r.method} {r.path} -> {r.answered_status}" for r in self._requests]
        raise AssertionError(
            f"{type(self).__name__}: timed out after {timeout}s waiting for {wanted}; "
            f"got {len(seen)} request(s), the last ones: {seen[-10:]}"
        )

    def pause(self, seconds: float) -> None:
        """Sleep in a handler; `stop()` cuts it short."""
        self._stopping.wait(seconds)

    def _add(self, request: RecordedRequest) -> None:
        with self._changed:
            self._requests.append(request)
            self._changed.notify_all()

    def _answered(self, request: RecordedRequest, status: int) -> None:
        with self._changed:
            request.answered_status = status
            self._changed.notify_all()
