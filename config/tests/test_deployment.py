"""The process definitions: the systemd units in deploy/systemd/ are valid and restart what
dies, and they, the Procfile (`make run`) and the README's deploy steps each run a worker for
every queue, pages on a worker of its own, and exactly one beat."""

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from config.celery_routes import QUEUES

BASE_DIR = Path(__file__).resolve().parents[2]
UNITS = BASE_DIR / "deploy" / "systemd"
INSTALLED_AT = "/srv/beacon"  # where the units expect the checkout and its .venv


def unit_commands():
    return {
        unit.name: re.search(r"^ExecStart=(.+)$", unit.read_text(), re.M)[1]
        for unit in sorted(UNITS.glob("*.service"))
    }


def procfile_commands():
    lines = (BASE_DIR / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def readme_commands():
    readme = (BASE_DIR / "README.md").read_text()
    steps = readme.split("<!-- deploy-steps -->")[1].split("<!-- /deploy-steps -->")[0]
    return {n: line for n, line in enumerate(steps.splitlines()) if " -A config " in line}


def celery_processes(commands):
    """The queues of each worker command, and how many run beat."""
    workers, beats = [], 0
    for command in commands:
        args = shlex.split(command.split("#")[0].rstrip(" &"))
        if "beat" in args:
            beats += 1
        if "worker" in args:
            flag = next(a for a in args if a in ("-Q", "--queues") or a.startswith("--queues="))
            value = flag.partition("=")[2] or args[args.index(flag) + 1]
            workers.append(set(value.split(",")))
    return workers, beats


@pytest.mark.parametrize("commands", [unit_commands, procfile_commands, readme_commands])
def test_every_queue_has_a_worker_pages_one_of_its_own_and_there_is_one_beat(commands):
    workers, beats = celery_processes(commands().values())
    assert set().union(*workers) == set(QUEUES)
    assert {"pages"} in workers  # no broadcast queue shares its worker
    assert beats == 1


def test_every_unit_is_restarted_whenever_it_dies():
    for unit in UNITS.glob("*.service"):
        text = unit.read_text()
        assert "\nRestart=always\n" in text and "\nStartLimitIntervalSec=0\n" in text, unit
    wanted = re.search(r"^Wants=(.+)$", (UNITS / "beacon.target").read_text(), re.M)[1]
    assert set(wanted.split()) == set(unit_commands())


def test_every_procfile_process_is_supervised():
    for name, command in procfile_commands().items():
        assert command.startswith("bin/supervise "), name


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_the_units_pass_systemd_analyze_verify(tmp_path):
    # verify checks that ExecStart's program exists: point the units at this checkout.
    for unit in UNITS.iterdir():
        (tmp_path / unit.name).write_text(unit.read_text().replace(INSTALLED_AT, str(BASE_DIR)))
    result = subprocess.run(
        ["systemd-analyze", "verify", *sorted(map(str, tmp_path.iterdir()))],
        capture_output=True,
        text=True,
    )
    # It warns about unknown keys and bad values, and still exits 0: any output is a failure.
    assert (result.returncode, result.stdout + result.stderr) == (0, "")
