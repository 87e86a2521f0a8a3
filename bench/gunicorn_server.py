"""gunicorn serving config.wsgi for a benchmark, in a subprocess of its own, and the CPU time
it uses: `start_server(env, log)` (env's ROOT_URLCONF, if any, replaces the project's).

Run by start_server as `python -m bench.gunicorn_server PORT`."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

BASE_DIR = Path(__file__).resolve().parent.parent
WORKERS, THREADS = 3, 4


def serve(port):
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self):
            options = {
                "bind": f"127.0.0.1:{port}",
                "workers": WORKERS,
                "threads": THREADS,
                "worker_class": "gthread",
                "loglevel": "warning",
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            from django.conf import settings

            from config.wsgi import application

            if "ROOT_URLCONF" in os.environ:
                settings.ROOT_URLCONF = os.environ["ROOT_URLCONF"]
            return application

    Server().run()


def start_server(env, log):
    """(the gunicorn master's Popen, its URL) once /healthz answers; `log` takes its output."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.gunicorn_server", str(port)],
        cwd=BASE_DIR,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(f"{url}/healthz", headers={"X-Forwarded-Proto": "https"}).ok:
                return server, url
        except requests.ConnectionError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            sys.exit(f"gunicorn did not start:\n{Path(log.name).read_text()[-3000:]}")
        time.sleep(0.2)


def server_cpu_seconds(pid):
    """The CPU time gunicorn's master `pid` and its workers have used: a figure the other
    processes on a noisy machine change far less than they change latencies."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if stat.parent.name == str(pid) or fields[1] == str(pid):
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    serve(int(sys.argv[1]))
