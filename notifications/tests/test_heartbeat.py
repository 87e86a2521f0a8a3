"""Heartbeats: recorded per part, and beat reports its own from its scheduling loop."""

import logging
import os
import subprocess
import sys
import time

import pytest
from django.db import DatabaseError, connection

from notifications import heartbeats
from notifications.heartbeats import heartbeats_record, heartbeats_report
from notifications.models import WorkerHeartbeat
from notifications.tests.worker_process import BASE_DIR, database_url


@pytest.mark.django_db
def test_each_part_keeps_one_row_with_its_latest_report():
    heartbeats_record(parts=["worker:default", "worker:pages"], hostname="one@host")
    first = WorkerHeartbeat.objects.get(name="worker:pages").last_seen
    heartbeats_record(parts=["worker:pages"], hostname="two@host")
    rows = {row.name: row for row in WorkerHeartbeat.objects.all()}
    assert set(rows) == {"worker:default", "worker:pages"}
    assert rows["worker:pages"].hostname == "two@host" and rows["worker:pages"].last_seen > first
    assert rows["worker:default"].hostname == "one@host"


@pytest.mark.django_db(transaction=True)
def test_a_report_the_database_refuses_is_logged_and_the_loop_goes_on(monkeypatch, caplog):
    def refused(**kwargs):
        raise DatabaseError("the database is away")

    monkeypatch.setattr(heartbeats, "heartbeats_record", refused)
    # An in-process worker's logging setup (another test's) may have raised the root logger's
    # level or disabled existing loggers.
    caplog.set_level(logging.WARNING, logger=heartbeats.logger.name)
    monkeypatch.setattr(heartbeats.logger, "disabled", False)
    heartbeats_report(parts=["beat"], hostname="host")
    assert "Heartbeat of beat not recorded" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_beat_reports_its_heartbeat_from_its_own_loop(tmp_path):
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(connection.settings_dict),
        "CELERY_BROKER_URL": "memory://",  # nothing is due: beat publishes nothing
    }
    log = tmp_path / "beat.log"
    with log.open("wb") as output:
        beat = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "beat", "--pidfile="],
            cwd=BASE_DIR,
            env={**os.environ, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while not WorkerHeartbeat.objects.filter(name="beat").exists():
            assert beat.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
    finally:
        beat.kill()
        beat.wait()
