"""Every task has time limits (a delivery's end within its lease), and periodic tasks never
overlap themselves."""

import threading
import time

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connections

from config.celery_app import app as celery_app
from config.celery_routes import PERIODIC_TASKS
from notifications.periodic import runs_alone
from notifications.tasks import sweep

from .test_task_routing import project_tasks


@pytest.mark.parametrize("task_name", project_tasks())
def test_every_task_has_a_soft_and_a_hard_time_limit(task_name):
    task = celery_app.tasks[task_name]
    soft = task.soft_time_limit or celery_app.conf.task_soft_time_limit
    hard = task.time_limit or celery_app.conf.task_time_limit
    assert soft and hard and soft < hard, f"{task_name}: soft {soft}, hard {hard}"


@pytest.mark.parametrize(
    "task_name", ["notifications.tasks.deliver", "notifications.tasks.deliver_page"]
)
def test_a_sending_task_is_stopped_before_the_sweeper_takes_its_delivery_back(task_name, settings):
    deliver = celery_app.tasks[task_name]
    lease = settings.BEACON_DELIVERY_LEASE_SECONDS
    assert deliver.soft_time_limit < deliver.time_limit < lease


@pytest.mark.parametrize("task_name", sorted({task for task, _every in PERIODIC_TASKS.values()}))
def test_every_periodic_task_runs_alone(task_name):
    assert getattr(celery_app.tasks[task_name].run, "runs_alone", False), task_name


class Held:
    """A run of a `runs_alone` function that holds the lock until released."""

    def __init__(self, function):
        self.started, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=function, args=(self,))
        self.thread.start()
        assert self.started.wait(5)

    def end(self):
        self.release.set()
        self.thread.join(5)


@pytest.fixture(params=["locmem", "database"])
def lock_cache(request, settings):
    """The lock in the test settings' cache, and in the database cache of the embedded
    default (the tests' rows are committed: their runs are threads with connections of their
    own)."""
    if request.param == "database":
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.db.DatabaseCache",
                "LOCATION": "beacon_test_locks",
            }
        }
        call_command("createcachetable")
    yield
    connections.close_all()  # the threads' connections


@pytest.fixture
def job(lock_cache):
    runs = []

    @runs_alone
    def periodic_job(held=None):
        runs.append(held)
        if held is not None:
            held.started.set()
            held.release.wait(5)
        return "done"

    cache.delete(f"beacon:periodic-lock:{periodic_job.__module__}.{periodic_job.__qualname__}")
    periodic_job.runs = runs
    return periodic_job


@pytest.mark.django_db(transaction=True)
def test_a_second_run_returns_without_working_while_the_first_holds_the_lock(job):
    first = Held(job)
    assert job() is None and job.runs == [first]
    first.end()
    assert job() == "done" and job.runs == [first, None]  # the lock went with the first run


@pytest.mark.django_db(transaction=True)
def test_a_lock_past_the_hard_time_limit_is_taken_over(job, settings):
    settings.CELERY_TASK_TIME_LIMIT = 1
    stuck = Held(job)  # as a run killed with the lock held: it never lets go in time
    time.sleep(2.1)  # the database cache keeps whole seconds: 1 s may last until the next one
    # The next lock lasts long enough for the rest of the test, however slow the machine.
    settings.CELERY_TASK_TIME_LIMIT = 60
    second = Held(job)  # the lock expired: taken over
    stuck.end()  # the stuck run's end leaves the second run's lock alone
    assert job() is None
    second.end()
    assert job.runs == [stuck, second]


def test_the_outbox_sweeper_skips_a_run_while_another_is_sweeping(db):
    cache.add("beacon:periodic-lock:notifications.tasks.sweep", "another run", timeout=60)
    assert sweep() is None
    cache.delete("beacon:periodic-lock:notifications.tasks.sweep")
    assert sweep() == {"deliveries": 0, "plans": 0}
