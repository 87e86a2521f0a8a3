"""What incidents does with the outbox below it: resolves who hears and at which addresses,
writes delivery outcomes on the timeline (in the outcome's transaction), lets the outbox know
who may see its rows and how long a page may wait, and adds the plans to the outbox's sweep."""

import pytest
from django.db import transaction

from incidents import services
from incidents.audiences import methods_for, notify_incident
from incidents.models import Incident, TimelineKind
from incidents.tests import factories
from notifications import about
from notifications.channels import RetryableError
from notifications.models import Delivery, DeliveryStatus, Notification
from notifications.services import delivery_retry, notify_people
from notifications.services.failures import record_failure
from notifications.tasks import sweep

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(commander_user, outage, sev1):
    return services.incident_declare(
        actor=commander_user,
        title="Checkout down",
        incident_type=outage,
        severity=sev1,
        affects_customers=True,
        unplanned=True,
        exceeds_one_hour=True,
        commander=commander_user,
    )


def written(incident):
    return notify_incident(
        incident=incident, event="declared", context={"headline": "x"}, audiences=["responders"]
    )


def test_retrying_an_incident_delivery_is_on_its_timeline(incident, commander_user):
    written(incident)
    failed = Delivery.objects.get(channel="email")
    Delivery.objects.filter(pk=failed.pk).update(status=DeliveryStatus.FAILED)
    delivery_retry(delivery=failed, actor=commander_user)
    event = incident.timeline.get(kind=TimelineKind.DELIVERY_RETRIED)
    assert event.actor == commander_user
    assert event.message == f"Email to {commander_user.email}: sending again."


def test_a_failover_is_on_the_timeline_only_if_its_transaction_commits(incident, settings):
    settings.BEACON_DELIVERY_MAX_ATTEMPTS = 1
    [notification] = written(incident)
    email = Delivery.objects.get(channel="email")
    Delivery.objects.filter(pk=email.pk).update(status=DeliveryStatus.SENDING, attempts=1)
    email.refresh_from_db()

    with pytest.raises(RuntimeError), transaction.atomic():
        record_failure(email, RetryableError("mailbox full"))
        assert incident.timeline.filter(kind=TimelineKind.DELIVERY_FAILED).exists()
        raise RuntimeError("the caller's transaction rolls back")
    assert not incident.timeline.filter(kind=TimelineKind.DELIVERY_FAILED).exists()

    record_failure(email, RetryableError("mailbox full"))
    event = incident.timeline.get(
        kind__in=[TimelineKind.DELIVERY_FAILED, TimelineKind.DELIVERY_FAILOVER]
    )
    assert "mailbox full" in event.message and event.before["delivery"] == email.pk


def test_outcomes_of_notifications_about_nothing_write_no_timeline(commander_user, settings):
    settings.BEACON_DIRECT_METHODS = ["email"]
    notify_people(people=[commander_user], event="spof", context={"headline": "x"})
    delivery = Delivery.objects.get()
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED)
    delivery_retry(delivery=delivery, actor=commander_user)
    assert not Incident.objects.exists()


def test_the_incident_channels_are_resolved_before_the_outbox_sees_them(incident, settings):
    settings.SLACK_BROADCAST_CHANNEL = "incidents"
    Incident.objects.filter(pk=incident.pk).update(slack_channel_id="C0INC")
    incident.refresh_from_db()
    assert [m.address for m in methods_for(incident, "responders")] == ["C0INC", "", ""]
    assert [m.address for m in methods_for(incident, "stakeholders")] == ["incidents", ""]


def test_the_outbox_rows_of_a_private_incident_are_seen_by_whom_it_is_shown_to(
    incident, commander_user
):
    written(incident)
    Incident.objects.filter(pk=incident.pk).update(is_private=True)
    outsider = factories.UserFactory()
    about_nothing = Notification.objects.create(event="spof", audience="people", subject="x")

    def seen_by(user):
        return set(Notification.objects.filter(about.visible_q(user)))

    assert seen_by(outsider) == {about_nothing}
    assert seen_by(commander_user) == set(Notification.objects.all())
    assert Notification.objects.filter(incident=incident).count() == 1


def test_the_outbox_sweep_also_sweeps_the_response_plans():
    assert sweep() == {"deliveries": 0, "plans": 0}


def test_an_incidents_notifications_go_with_it(incident):
    written(incident)
    incident.timeline.all().delete()
    Incident.objects.filter(pk=incident.pk).delete()
    assert not Notification.objects.exists()
