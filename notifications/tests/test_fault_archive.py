"""Archiving the incident channel at resolution, carried by a real worker: it waits while the
resolution announcement is held up (Slack rate-limits it), without spending attempts, and is
retried when Slack answers 500."""

import pytest

from incidents import services
from incidents.models import Incident
from notifications.models import Delivery, DeliveryStatus

from .test_faults import declare, wait_until


def archive_sent():
    return Delivery.objects.filter(
        notification__event="channel_archive", status=DeliveryStatus.SENT
    ).exists()


@pytest.mark.broker
def test_the_archive_waits_for_the_announcement_and_is_retried_until_slack_takes_it(
    workers, fake_slack, commander
):
    worker = workers(
        BEACON_TEST_SLACK_BOT_TOKEN=fake_slack.token,
        BEACON_TEST_SLACK_API_URL=fake_slack.url + "/api/",
    )
    incident = declare(commander)  # the worker runs its response plan: the channel is made
    wait_until(lambda: Incident.objects.get(pk=incident.pk).slack_channel_id, [worker])
    incident.refresh_from_db()
    for criterion in services.unmet_required_criteria(incident):
        services.incident_check_exit_criterion(
            incident=incident, actor=commander, criterion_id=criterion.pk
        )
    wait_until(
        lambda: not Delivery.objects.filter(status__in=["pending", "sending"]).exists(), [worker]
    )

    # Both resolution announcements wait 2 s; then the first archive call fails.
    fake_slack.fail_next("chat.postMessage", retry_after=2, times=2)
    fake_slack.fail_next("conversations.archive", status=500)
    services.incident_resolve(
        incident=incident, actor=commander, resolution="Rolled back.", archive_channel=True
    )
    wait_until(archive_sent, [worker], sweeping=True, timeout=60)

    archive = Delivery.objects.get(notification__event="channel_archive")
    assert archive.attempts == 2  # the 500, then the archive: waiting spent none
    assert fake_slack.channels[incident.slack_channel_id].is_archived
    calls = fake_slack.calls()
    archives = [n for n, (method, _p) in enumerate(calls) if method == "conversations.archive"]
    posted_to_channel = [
        n
        for n, (method, params) in enumerate(calls)
        if method == "chat.postMessage" and params.get("channel") == incident.slack_channel_id
    ]
    assert len(archives) == 2 and len(posted_to_channel) >= 2
    assert posted_to_channel[-1] < archives[0]  # the announcement's second try went first
