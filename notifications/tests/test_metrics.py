from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.tests.factories import UserFactory
from notifications.models import Delivery, WorkerHeartbeat
from notifications.services import notify_people

pytestmark = pytest.mark.django_db


def test_metrics_show_the_unsent_outbox_and_its_oldest_age(client):
    notify_people(people=[UserFactory()], event="spof", context={"headline": "No backup"})
    Delivery.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=5))
    body = client.get("/metrics").content.decode()
    assert 'beacon_deliveries_unsettled{channel="email",status="pending"} 1.0' in body
    age = next(line for line in body.splitlines() if line.startswith("beacon_outbox_oldest_unsent"))
    assert 299 <= float(age.split()[-1]) < 400


def test_metrics_show_the_age_of_each_heartbeat_and_inf_for_a_part_never_heard_from(client):
    now = timezone.now()
    WorkerHeartbeat.objects.create(name="beat", last_seen=now - timedelta(seconds=45))
    WorkerHeartbeat.objects.create(name="worker:default", last_seen=now - timedelta(seconds=5))
    body = client.get("/metrics").content.decode()
    ages = {
        line.split('"')[1]: float(line.split()[-1])
        for line in body.splitlines()
        if line.startswith("beacon_heartbeat_age_seconds{")
    }
    assert set(ages) == {"beat", "worker:default", "worker:notifications", "worker:pages"}
    assert 45 <= ages["beat"] < 50 and 5 <= ages["worker:default"] < 10
    assert ages["worker:notifications"] == ages["worker:pages"] == float("inf")
