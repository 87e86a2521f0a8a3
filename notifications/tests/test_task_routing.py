"""Every task has a queue route and every periodic task is declared in code and installed."""

import pytest
from django.apps import apps
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from config.celery_app import app as celery_app
from config.celery_routes import PERIODIC_TASKS, QUEUES, TASK_ROUTES

# The project's own apps: those whose code lives in this repository.
PROJECT_APPS = tuple(
    f"{config.name}." for config in apps.get_app_configs() if "site-packages" not in config.path
)


def project_tasks():
    celery_app.loader.import_default_modules()
    return sorted(name for name in celery_app.tasks if name.startswith(PROJECT_APPS))


def test_project_has_tasks():
    assert "notifications.tasks.deliver" in project_tasks()


@pytest.mark.parametrize("task_name", project_tasks())
def test_every_task_is_routed_to_a_known_queue(task_name):
    assert task_name in TASK_ROUTES, f"{task_name} has no route in config/celery_routes.py"
    assert TASK_ROUTES[task_name]["queue"] in QUEUES


def test_routes_name_real_tasks():
    assert set(TASK_ROUTES) <= set(project_tasks())


def test_periodic_tasks_are_routed():
    for task, _seconds in PERIODIC_TASKS.values():
        assert task in TASK_ROUTES


@pytest.mark.django_db
def test_setup_periodic_tasks_installs_and_prunes():
    PeriodicTask.objects.create(
        name="left over",
        task="gone.task",
        interval=None,
        crontab=None,
        one_off=True,
        enabled=True,
        clocked=_clock(),
    )
    call_command("setup_periodic_tasks")
    call_command("setup_periodic_tasks")
    installed = {t.name: t for t in PeriodicTask.objects.all()}
    assert set(installed) == set(PERIODIC_TASKS)
    sweeper = installed["outbox sweeper"]
    assert sweeper.interval.every == 30 and sweeper.queue == "default"


def _clock():
    from django.utils import timezone
    from django_celery_beat.models import ClockedSchedule

    return ClockedSchedule.objects.create(clocked_time=timezone.now())
