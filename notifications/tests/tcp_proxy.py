"""A TCP proxy on 127.0.0.1 in front of one server (Redis), to take the broker away.

`down()` refuses new connections and cuts the open ones, as a stopped broker does;
`black_hole()` accepts connections and swallows what they send without answering, as a
broker behind a dead network path does (the case only a socket timeout ends); `up()` forwards
again on the same port.
"""

import contextlib
import socket
import threading

POLL_SECONDS = 0.05


def _bound(port):
    """A TCP socket bound to 127.0.0.1:`port` (0: any free one), sharing it with the proxy's
    other sockets (SO_REUSEPORT)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", port))
    return sock


class TcpProxy:
    """Down until `up()`; the port stays the same across switches."""

    def __init__(self, target_host, target_port):
        self.target = (target_host, target_port)
        self.port = 0
        self.mode = "down"
        self._listener = self._placeholder = None
        self._sockets = set()
        self._lock = threading.Lock()

    def up(self):
        return self._switch("up")

    def black_hole(self):
        return self._switch("black_hole")

    def down(self):
        return self._switch("down")

    def __enter__(self):
        return self.up()

    def __exit__(self, *exc_info):
        self.down()
        if self._placeholder is not None:
            self._placeholder.close()
            self._placeholder = None

    def _switch(self, mode):
        """Open connections are cut at every switch: clients reconnect and meet the new mode."""
        self.mode = mode
        if mode == "down" and self._listener is not None:
            # The port stays ours while down: a socket bound to it, not listening, so that
            # connections are refused and no other socket of the machine takes the port.
            self._placeholder = _bound(self.port)
            self._listener.close()  # the accept loop notices within POLL_SECONDS
            self._listener = None
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            _close(sock)
        if mode != "down":
            self._listen()
        return self

    def _listen(self):
        if self._listener is not None:
            return
        listener = _bound(self.port)
        listener.listen()
        listener.settimeout(POLL_SECONDS)
        self.port = listener.getsockname()[1]
        self._listener = listener
        if self._placeholder is not None:
            self._placeholder.close()
            self._placeholder = None
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener):
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self._listener is not listener:  # went down meanwhile
                _close(client)
                return
            client.settimeout(None)
            # As Redis and its clients do: without it Nagle's algorithm meets the peer's
            # delayed acknowledgement, and a reply split in two waits 40 ms (a request's
            # whole publishing timeout).
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._keep(client)
            if self.mode == "black_hole":
                self._pump(client, None)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=1)
            except OSError:
                _close(client)
                continue
            upstream.settimeout(None)
            upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._keep(upstream)
            self._pump(client, upstream)
            self._pump(upstream, client)

    def _keep(self, sock):
        with self._lock:
            self._sockets.add(sock)

    def _pump(self, source, destination):
        threading.Thread(target=self._copy, args=(source, destination), daemon=True).start()

    def _copy(self, source, destination):
        """Forward bytes until either side closes; without a destination, swallow them."""
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if destination is not None:
                    destination.sendall(data)
        _close(source)
        if destination is not None:
            _close(destination)


def _close(sock):
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked in recv() on it
    sock.close()
