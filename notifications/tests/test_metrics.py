from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.tests.factories import UserFactory
from notifications.models import Delivery
from notifications.services import notify_people

pytestmark = pytest.mark.django_db


def test_metrics_show_the_unsent_outbox_and_its_oldest_age(client):
    notify_people(people=[UserFactory()], event="spof", context={"headline": "No backup"})
    Delivery.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=5))
    body = client.get("/metrics").content.decode()
    assert 'beacon_deliveries_unsettled{channel="email",status="pending"} 1.0' in body
    age = next(line for line in body.splitlines() if line.startswith("beacon_outbox_oldest_unsent"))
    assert 299 <= float(age.split()[-1]) < 400
