import pytest

from notifications.models import WorkerHeartbeat
from notifications.tasks import record_heartbeat

pytestmark = pytest.mark.django_db


def test_heartbeat_is_recorded_once_however_often_it_runs():
    record_heartbeat.delay()
    first = WorkerHeartbeat.objects.get().last_seen
    record_heartbeat.delay()
    assert WorkerHeartbeat.objects.count() == 1
    assert WorkerHeartbeat.objects.get().last_seen >= first
