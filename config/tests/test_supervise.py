"""bin/supervise, which `make run` wraps each Procfile process in: a dead process comes back,
a stop signal stops it for good."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

SUPERVISE = Path(__file__).resolve().parents[2] / "bin" / "supervise"
# Prints its pid, then waits to be killed.
CHILD = "import os, time; print(os.getpid(), flush=True); time.sleep(60)"


@pytest.fixture
def supervised():
    process = subprocess.Popen(
        [sys.executable, str(SUPERVISE), sys.executable, "-c", CHILD],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a group of its own, as honcho starts it
    )
    yield process
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def next_child(process):
    return int(process.stdout.readline())


def running(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is not running (nobody reaped it yet).
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"


def test_a_killed_process_is_started_again(supervised):
    first = next_child(supervised)
    os.kill(first, signal.SIGKILL)
    second = next_child(supervised)  # after a pause of 1 s
    assert second != first and running(second)
    started, ended = supervised.stderr.readline(), supervised.stderr.readline()
    assert f"(pid {first})" in started
    assert ended.endswith(f"(pid {first}) ended with status -9; again in 1 s\n")


@pytest.mark.parametrize("how", ["group", "supervisor"])
def test_a_stop_signal_stops_the_process_and_the_supervisor(supervised, how):
    child = next_child(supervised)
    if how == "group":  # honcho's terminate(), Ctrl-C included
        os.killpg(supervised.pid, signal.SIGTERM)
    else:
        supervised.send_signal(signal.SIGTERM)
    assert supervised.wait(timeout=10) == 128 + signal.SIGTERM
    assert not running(child)
