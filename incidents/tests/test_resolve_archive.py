"""Archiving the incident channel at resolution is a delivery of the outbox: written by the
resolve service in its transaction, asked for by every front door, sent after the channel's
messages, retried, sent once; a channel archived already counts as done."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from incidents import services
from incidents.models import IncidentStatus, TimelineKind
from notifications.models import Channel, Delivery, DeliveryStatus
from notifications.services import delivery_send

from .test_admin import act, sent
from .test_api import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def channelled(declare, fake_slack, commander_user, django_capture_on_commit_callbacks):
    """Declared with its Slack channel created by the response plan; exit criteria met."""
    with django_capture_on_commit_callbacks(execute=True):
        incident = declare()
    incident.refresh_from_db()
    assert incident.slack_channel_id
    for criterion in services.unmet_required_criteria(incident):
        services.incident_check_exit_criterion(
            incident=incident, actor=commander_user, criterion_id=criterion.pk
        )
    return incident


def archive_of(incident):
    return Delivery.objects.get(
        notification__incident=incident, notification__event="channel_archive"
    )


def unsent_messages(incident):
    return Delivery.objects.filter(
        notification__incident=incident,
        channel=Channel.SLACK,
        status=DeliveryStatus.PENDING,
    ).exclude(pk=archive_of(incident).pk)


def resolve(incident, actor, **options):
    return services.incident_resolve(
        incident=incident, actor=actor, resolution="Rolled back.", **options
    )


def make_due(delivery):
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())


# the service


def test_resolve_writes_the_archive_in_its_transaction_and_it_goes_after_the_announcement(
    channelled, commander_user, fake_slack, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as published:
        resolve(channelled, commander_user, archive_channel=True)
    archive = archive_of(channelled)
    assert (archive.channel, archive.address) == (Channel.SLACK, channelled.slack_channel_id)
    assert (archive.status, archive.attempts) == (DeliveryStatus.PENDING, 0)
    assert archive.notification.subject == f"Archive #{channelled.channel_name}"
    resolved = channelled.timeline.get(kind=TimelineKind.RESOLVED)
    assert resolved.after == {"status": IncidentStatus.RESOLVED, "archive_channel": True}
    assert not fake_slack.calls("conversations.archive")  # nothing before commit

    for callback in published:
        callback()
    archive.refresh_from_db()
    assert archive.status == DeliveryStatus.SENT
    assert archive.provider_reference == f"{channelled.slack_channel_id}/archived"
    assert fake_slack.channels[channelled.slack_channel_id].is_archived
    methods = [method for method, _params in fake_slack.calls()]
    last_post = max(i for i, m in enumerate(methods) if m == "chat.postMessage")
    assert methods.index("conversations.archive") > last_post


def test_resolve_without_archive_channel_archives_nothing(channelled, commander_user):
    resolve(channelled, commander_user)
    assert not Delivery.objects.filter(notification__event="channel_archive").exists()


def test_an_incident_without_a_slack_channel_has_nothing_to_archive(
    incident, commander_user, settle_criteria
):
    settle_criteria(incident)
    with pytest.raises(ValidationError) as refusal:
        resolve(incident, commander_user, archive_channel=True)
    assert refusal.value.message_dict == {
        "archive_channel": [f"{incident.reference} has no Slack channel to archive."]
    }
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.DECLARED


# sending


def test_the_archive_waits_for_the_channels_messages_without_spending_attempts(
    channelled, commander_user, fake_slack
):
    resolve(channelled, commander_user, archive_channel=True)  # not committed: nothing sent
    archive = archive_of(channelled)
    assert unsent_messages(channelled).exists()
    assert delivery_send(archive.pk) == DeliveryStatus.PENDING
    archive.refresh_from_db()
    assert archive.attempts == 0 and archive.next_attempt_at > timezone.now()
    assert not fake_slack.calls("conversations.archive")

    for message in unsent_messages(channelled):
        assert delivery_send(message.pk) == DeliveryStatus.SENT
    make_due(archive)
    assert delivery_send(archive.pk) == DeliveryStatus.SENT
    archive.refresh_from_db()
    assert archive.attempts == 1 and fake_slack.channels[channelled.slack_channel_id].is_archived


def test_an_archive_slack_fails_is_retried(channelled, commander_user, fake_slack):
    resolve(channelled, commander_user, archive_channel=True)
    for message in unsent_messages(channelled):
        delivery_send(message.pk)
    archive = archive_of(channelled)
    fake_slack.fail_next("conversations.archive", status=500)
    assert delivery_send(archive.pk) == DeliveryStatus.PENDING
    archive.refresh_from_db()
    assert archive.attempts == 1 and "conversations_archive" in archive.last_error
    make_due(archive)
    assert delivery_send(archive.pk) == DeliveryStatus.SENT
    assert delivery_send(archive.pk) is None  # a replayed task: sent once
    assert len(fake_slack.calls("conversations.archive")) == 2


def test_a_channel_archived_already_counts_as_done(
    channelled, commander_user, fake_slack, django_capture_on_commit_callbacks
):
    fake_slack.channels[channelled.slack_channel_id].is_archived = True  # by hand, in Slack
    with django_capture_on_commit_callbacks(execute=True):
        resolve(channelled, commander_user, archive_channel=True)
    archive = archive_of(channelled)
    assert archive.status == DeliveryStatus.SENT
    assert archive.provider_reference == f"{channelled.slack_channel_id}/already archived"


# the front doors


def test_the_portal_asks_for_the_archive(
    client, channelled, commander_user, django_capture_on_commit_callbacks
):
    client.force_login(commander_user)
    url = reverse("portal:incident-action", args=[channelled.reference, "resolve"])
    page = client.get(reverse("portal:incident", args=[channelled.reference]))
    assert "archive_channel" in page.context["forms"]["resolve"].fields
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"resolution": "Rolled back.", "archive_channel": "on"})
    assert response.status_code == 302
    assert archive_of(channelled).status == DeliveryStatus.SENT


def test_the_portal_offers_no_archive_without_a_channel(client, incident, commander_user):
    client.force_login(commander_user)
    page = client.get(reverse("portal:incident", args=[incident.reference]))
    assert "archive_channel" not in page.context["forms"]["resolve"].fields
    assert "Archive the Slack channel" not in page.content.decode()


def resolve_by_api(incident, user, body):
    url = f"/api/v1/incidents/{incident.reference}/resolve/"
    return client_for(user).post(url, body, format="json")


def test_the_api_asks_for_the_archive(channelled, commander_user):
    response = resolve_by_api(
        channelled, commander_user, {"resolution": "Rolled back.", "archive_channel": True}
    )
    assert response.status_code == 200, response.content
    assert archive_of(channelled).address == channelled.slack_channel_id


@pytest.mark.parametrize(
    ("value", "message"),
    [("maybe", "Give true or false."), (True, "has no Slack channel to archive.")],
)
def test_the_api_refuses_a_bad_archive_channel_with_a_field_error(
    incident, commander_user, settle_criteria, value, message
):
    settle_criteria(incident)
    response = resolve_by_api(
        incident, commander_user, {"resolution": "Rolled back.", "archive_channel": value}
    )
    assert response.status_code == 400
    assert message in response.json()["archive_channel"][0]
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.DECLARED


def test_the_admin_asks_for_the_archive_of_those_that_have_a_channel(
    admin_client, channelled, declare, settle_criteria
):
    plain = declare()
    settle_criteria(plain)
    response = act(
        admin_client, "resolve", channelled, plain, resolution="Reverted.", archive_channel="on"
    )
    assert len(sent(response)) == 1 and sent(response)[0].startswith("Resolved 2 incidents")
    assert archive_of(channelled).address == channelled.slack_channel_id
    assert not Delivery.objects.filter(
        notification__incident=plain, notification__event="channel_archive"
    ).exists()


@pytest.fixture
def settle_criteria(commander_user):
    def settle(incident):
        for criterion in services.unmet_required_criteria(incident):
            services.incident_check_exit_criterion(
                incident=incident, actor=commander_user, criterion_id=criterion.pk
            )

    return settle


def test_the_archive_is_listed_with_the_incidents_deliveries(
    client, channelled, commander_user, fake_slack
):
    fake_slack.fail_next("conversations.archive", error="not_authed")
    resolve(channelled, commander_user, archive_channel=True)
    for message in unsent_messages(channelled):
        delivery_send(message.pk)
    delivery_send(archive_of(channelled).pk)
    client.force_login(commander_user)
    page = client.get(reverse("portal:incident", args=[channelled.reference])).content.decode()
    row = page[page.index(f'id="delivery-{archive_of(channelled).pk}"') :][:2000]
    assert "Incident channel archived" in row and f"#{channelled.channel_name}" in row
    assert "Slack conversations_archive: not_authed" in row  # the reason it failed

    listed = client_for(commander_user).get(f"/api/v1/incidents/{channelled.reference}/deliveries/")
    archive = next(d for d in listed.json() if d["event"] == "channel_archive")
    assert (archive["status"], archive["subject"]) == (
        "failed",
        f"Archive #{channelled.channel_name}",
    )
