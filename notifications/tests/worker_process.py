"""A real Celery worker of the project in a process group of its own, so that a test (or the
benchmark) can kill it the way an OOM killer or a lost node does: SIGKILL to the parent and its
children. Its Redis keys carry a prefix, so that runs sharing a Redis server do not take each
other's tasks (`python -m notifications.tests.worker_process PREFIX WORKER-ARGS…`).
"""

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from config.celery_routes import QUEUES

BASE_DIR = Path(__file__).resolve().parents[2]


def database_url(db):
    """The DATABASE_URL of a Django database's settings (a test database's real name)."""
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class WorkerProcess:
    """`celery worker --pool=prefork` on `queues` (all by default); its output goes to a
    temporary file."""

    def __init__(self, env, *, key_prefix, queues=QUEUES, concurrency=2, extra_args=()):
        self.env = {**os.environ, **env}
        self.args = [
            *(sys.executable, "-m", "notifications.tests.worker_process", key_prefix),
            *("--pool=prefork", "-c", str(concurrency), "-Q", ",".join(queues)),
            *("-l", "info", "--without-mingle", "--without-gossip", "--without-heartbeat"),
            *extra_args,
        ]
        self.process = self._log_path = None

    def start(self):
        log, self._log_path = tempfile.mkstemp(prefix="beacon-worker-", suffix=".log")
        with os.fdopen(log, "wb") as log_file:
            self.process = subprocess.Popen(
                self.args,
                cwd=BASE_DIR,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: one signal reaches every child
            )
        return self

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while " ready." not in self.log():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Celery worker did not start:\n{self.log()[-3000:]}")
            time.sleep(0.05)
        return self

    def kill(self):
        """SIGKILL the whole group and wait until no process of it runs any more."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        while _group_alive(self.process.pid):
            time.sleep(0.01)

    def stop(self):
        """Kill (a warm shutdown takes seconds) and delete the log; the caller removes what
        the worker left in Redis."""
        self.kill()
        Path(self._log_path).unlink()

    def log(self):
        return Path(self._log_path).read_text(errors="replace")


def lines_with(log, needles, *, context=12):
    """The lines of a worker's `log` holding any of `needles`, each with the `context` lines
    after it (a traceback): what a failed assertion shows instead of the end of the log."""
    lines = log.splitlines()
    hits = [n for n, line in enumerate(lines) if any(needle in line for needle in needles)]
    return "\n---\n".join("\n".join(lines[n : n + context]) for n in hits[:5])


def _group_alive(pgid):
    """Whether a process of the group still runs; a zombie does not (nobody may reap it)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError):
            state, _parent, group = stat.read_text().rpartition(")")[2].split()[:3]
            if int(group) == pgid and state != "Z":
                return True
    return False


def main(key_prefix, *worker_args):
    from config.celery_app import app

    options = app.conf.broker_transport_options
    app.conf.broker_transport_options = {**options, "global_keyprefix": key_prefix}
    app.worker_main(["worker", *worker_args])


if __name__ == "__main__":
    main(*sys.argv[1:])
