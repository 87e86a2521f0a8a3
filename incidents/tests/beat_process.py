"""Celery beat of the project as a subprocess, on the database schedule (the settings'
django-celery-beat scheduler), its Redis keys under a prefix like the workers'
(`python -m incidents.tests.beat_process PREFIX BEAT-ARGS…`)."""

import sys
import time

from config.celery_app import app
from notifications.tests.worker_process import WorkerProcess


class BeatProcess(WorkerProcess):
    """`celery beat`, re-reading its schedule every second; killed like a worker."""

    def __init__(self, env, *, key_prefix):
        super().__init__(env, key_prefix=key_prefix)
        self.args = [
            *(sys.executable, "-m", "incidents.tests.beat_process", key_prefix),
            *("-l", "info", "--max-interval", "1", "--pidfile", ""),
        ]

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while "beat: Starting..." not in self.log():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"celery beat did not start:\n{self.log()[-3000:]}")
            time.sleep(0.05)
        return self


def main(key_prefix, *beat_args):
    options = app.conf.broker_transport_options
    app.conf.broker_transport_options = {**options, "global_keyprefix": key_prefix}
    app.start(["beat", *beat_args])


if __name__ == "__main__":
    main(*sys.argv[1:])
