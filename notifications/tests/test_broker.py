import os
import subprocess
import sys
import threading
import time
from types import SimpleNamespace

import pytest
from django.test import override_settings
from kombu.exceptions import LimitExceeded

from notifications import broker
from notifications.tests.worker_process import BASE_DIR


class Task:
    name = "tests.task"
    app = SimpleNamespace(conf=SimpleNamespace(task_always_eager=False))

    def __init__(self, fails=False, seconds=0.0):
        self.fails, self.seconds, self.calls, self.args = fails, seconds, 0, []
        self.published = threading.Event()
        self.threads = set()

    def apply_async(self, args, countdown=None, retry=True, connection=None):
        assert retry is False  # one bounded attempt, never kombu's retry loop
        self.calls += 1
        self.args.append(args)
        self.threads.add(threading.get_ident())
        self.published.set()
        time.sleep(self.seconds)
        if self.fails:
            raise ConnectionError("broker down")


@pytest.fixture
def request_pool(monkeypatch):
    """Connections are the transport's business; these tasks never use them."""

    class Pool:
        def acquire(self, block, timeout):
            return self

        def __enter__(self):
            return None

        def __exit__(self, *exc_info):
            return False

    monkeypatch.setattr(broker, "_request_pool", lambda app: Pool())


def test_a_failure_pauses_publishing_in_every_process_then_it_tries_again(settings):
    settings.BEACON_BROKER_PAUSE_SECONDS = 5
    task = Task(fails=True)
    assert broker.try_publish(task, (1,)) is False
    assert broker.try_publish(task, (2,)) is False  # within the pause: not even tried
    assert task.calls == 1
    # Another process of the host sees the same file: the pause is over when it is 5 s old.
    past = time.time() - 5
    os.utime(settings.BEACON_BROKER_DOWN_FILE, (past, past))
    task.fails = False
    assert broker.try_publish(task, (3,)) is True
    assert task.calls == 2 and not broker.broker_paused()


def test_a_publish_that_succeeds_elsewhere_ends_the_pause(settings):
    assert broker.try_publish(Task(fails=True), (1,)) is False
    assert broker.broker_paused()
    broker._resume()  # what a successful publish of another process does
    assert broker.try_publish(Task(), (2,)) is True


@pytest.mark.parametrize("fails", [False, True])
def test_publishing_never_raises(fails):
    assert broker.try_publish(Task(fails), (1,)) is not fails


def test_an_unwritable_pause_file_does_not_make_publishing_raise(settings, tmp_path):
    (tmp_path / "file").write_text("")
    settings.BEACON_BROKER_DOWN_FILE = str(tmp_path / "file" / "broker-down")
    assert broker.try_publish(Task(fails=True), (1,)) is False


@override_settings(BEACON_PUBLISH_TIMEOUT_SECONDS=0.04)
def test_a_request_starts_no_publish_its_budget_cannot_pay_for(request_pool):
    task = Task(seconds=0.03)
    with broker.publishing_budget(0.1) as budget:
        results = [broker.try_publish(task, (n,)) for n in range(5)]
    # 0.03 + 0.03 leaves less than the 0.04 a publish may take: the rest waits for the sweeper.
    assert results == [True, True, False, False, False] and task.calls == 2
    assert 0.06 <= budget.spent < 0.1


def test_outside_a_request_there_is_no_budget():
    task = Task(seconds=0.03)
    assert all(broker.try_publish(task, (n,)) for n in range(5)) and task.calls == 5


def test_every_response_says_how_long_it_spent_publishing(client):
    response = client.get("/healthz")
    assert response["Server-Timing"] == "publish;dur=0.0"


def test_a_pool_with_no_connection_free_is_not_a_broker_down(settings, monkeypatch):
    class Exhausted:
        def acquire(self, block, timeout):
            raise LimitExceeded(10)

    monkeypatch.setattr(broker, "_request_pool", lambda app: Exhausted())
    with broker.publishing_budget(0.1):
        assert broker.try_publish(Task(), (1,)) is False
    assert not broker.broker_paused()


def test_a_task_run_eagerly_is_not_publishing_and_spends_no_budget(request_pool):
    task = Task(seconds=0.03)
    task.app = SimpleNamespace(conf=SimpleNamespace(task_always_eager=True))
    with broker.publishing_budget(0.1) as budget:
        assert all(broker.try_publish(task, (n,)) for n in range(5))
    assert task.calls == 5 and budget.spent == 0


# --- Publishing in the background ----------------------------------------------------------


def test_a_background_publish_leaves_the_caller_at_once(request_pool):
    task = Task(seconds=0.3)
    started = time.monotonic()
    broker.BackgroundPublisher().submit(task, 1)
    assert time.monotonic() - started < 0.1
    assert task.published.wait(5) and threading.get_ident() not in task.threads
    assert task.args == [([1],)]


def test_what_arrives_within_the_linger_travels_as_one_message_per_task(request_pool, settings):
    settings.BEACON_BACKGROUND_PUBLISH_LINGER_SECONDS = 0.3
    publisher, declare, show = broker.BackgroundPublisher(), Task(), Task()
    for task, item in [(declare, 1), (show, "a"), (declare, 2), (declare, 3)]:
        publisher.submit(task, item)
    assert declare.published.wait(5) and show.published.wait(5)
    assert declare.args == [([1, 2, 3],)] and show.args == [(["a"],)]
    declare.published.clear()
    publisher.submit(declare, 4)  # after the batch went: a message of its own
    assert declare.published.wait(5) and declare.args == [([1, 2, 3],), ([4],)]


def test_closing_publishes_what_waits_at_once_and_ends_the_thread(request_pool, settings):
    settings.BEACON_BACKGROUND_PUBLISH_LINGER_SECONDS = 30
    publisher, task = broker.BackgroundPublisher(), Task()
    publisher.submit(task, 1)
    publisher.submit(task, 2)
    thread = publisher._thread
    started = time.monotonic()
    publisher.close()
    assert time.monotonic() - started < 5 and not thread.is_alive()
    assert task.args == [([1, 2],)]
    publisher.close()  # again (atexit, after a test did): nothing to do


CHILD = """
import sys, types
import django
django.setup()
from notifications import broker

class Task:
    name = "tests.task"
    app = types.SimpleNamespace(conf=types.SimpleNamespace(task_always_eager=False))
    def apply_async(self, args, countdown=None, retry=True):
        with open(sys.argv[1], "a") as published:
            published.write(repr(args))

broker.publish_in_background(Task(), "declaration 7")
sys.exit(0)  # within the linger, as a server's worker exits after its last answer
"""


def test_a_process_that_exits_publishes_what_its_thread_holds(tmp_path):
    published = tmp_path / "published"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "BEACON_BACKGROUND_PUBLISH_LINGER_SECONDS": "30",
        "BEACON_BROKER_DOWN_FILE": str(tmp_path / "broker-down"),
    }
    child = [sys.executable, "-c", CHILD, str(published)]
    subprocess.run(child, env=env, cwd=BASE_DIR, check=True, timeout=60)
    assert published.read_text() == "(['declaration 7'],)"


def test_the_background_publisher_goes_on_after_an_unexpected_error(request_pool, monkeypatch):
    real, calls = broker.try_publish, []

    def failing_once(task, args):
        calls.append(args)
        if len(calls) == 1:
            raise RuntimeError("a bug")
        return real(task, args)

    monkeypatch.setattr(broker, "try_publish", failing_once)
    publisher, task = broker.BackgroundPublisher(), Task()
    publisher.submit(task, 1)
    deadline = time.monotonic() + 5
    while not calls and time.monotonic() < deadline:
        time.sleep(0.01)
    publisher.submit(task, 2)
    assert task.published.wait(5) and calls == [([1],), ([2],)] and task.args == [([2],)]


def test_a_forked_process_starts_a_publishing_thread_of_its_own(request_pool, monkeypatch):
    publisher, first = broker.BackgroundPublisher(), Task()
    publisher.submit(first, 1)
    assert first.published.wait(5)
    # A fork copies the publisher, not its thread: the child (another pid) starts one.
    monkeypatch.setattr(broker.os, "getpid", lambda: -1)
    second = Task()
    publisher.submit(second, 2)
    assert second.published.wait(5) and second.threads.isdisjoint(first.threads)


def test_an_eager_task_runs_in_the_caller(request_pool):
    task = Task()
    task.app = SimpleNamespace(conf=SimpleNamespace(task_always_eager=True))
    broker.BackgroundPublisher().submit(task, 1)
    assert task.args == [([1],)] and task.threads == {threading.get_ident()}
