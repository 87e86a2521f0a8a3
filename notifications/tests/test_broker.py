import pytest

from notifications import broker


class Task:
    name = "tests.task"

    def __init__(self, fails):
        self.fails, self.calls = fails, 0

    def apply_async(self, args, countdown=None, retry=True):
        assert retry is False  # one bounded attempt, never kombu's retry loop
        self.calls += 1
        if self.fails:
            raise ConnectionError("broker down")


def test_a_failure_pauses_publishing_then_it_tries_again(monkeypatch):
    clock = iter([100.0, 101.0, 106.0, 106.0])
    monkeypatch.setattr(broker.time, "monotonic", lambda: next(clock))
    task = Task(fails=True)
    assert broker.try_publish(task, (1,)) is False
    assert broker.try_publish(task, (2,)) is False  # within the pause: not even tried
    assert task.calls == 1
    task.fails = False
    assert broker.try_publish(task, (3,)) is True
    assert task.calls == 2 and broker._failed_at is None


@pytest.mark.parametrize("fails", [False, True])
def test_publishing_never_raises(fails):
    assert broker.try_publish(Task(fails), (1,)) is not fails
