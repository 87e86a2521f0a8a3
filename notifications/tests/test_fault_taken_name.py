"""A taken channel name, carried by a real worker: the response plan creates the channel under
the first free suffix, the broadcast links the real channel and the commander hears of it."""

import pytest
from django.utils import timezone

from incidents.models import Incident
from incidents.services.declaration import channel_name, channel_name_part
from notifications.models import Delivery, DeliveryStatus

from .test_faults import declare, wait_until


@pytest.mark.broker
def test_a_worker_creates_a_taken_name_with_a_suffix_and_links_it(workers, fake_slack, commander):
    worker = workers(
        BEACON_TEST_SLACK_BOT_TOKEN=fake_slack.token,
        BEACON_TEST_SLACK_API_URL=fake_slack.url + "/api/",
    )
    fake_slack.add_user("U0CORA", "cora", commander.email)
    wanted = channel_name(channel_name_part("Checkout is failing"), timezone.now())
    fake_slack.add_channel(wanted, is_archived=True)
    incident = declare(commander)
    wait_until(lambda: Incident.objects.get(pk=incident.pk).slack_channel_id, [worker])
    told = Delivery.objects.filter(notification__event="plan_message", channel="slack")
    wait_until(lambda: fake_slack.messages("incidents") and told.exists(), [worker])
    wait_until(lambda: not told.exclude(status=DeliveryStatus.SENT).exists(), [worker])

    incident.refresh_from_db()
    created = fake_slack.channels[incident.slack_channel_id]
    assert incident.channel_name == created.name == f"{wanted}_2"
    (broadcast,) = fake_slack.messages("incidents")
    assert f"<#{created.id}|{created.name}>" in broadcast.text
    direct = [m for m in fake_slack.messages() if m.channel.startswith("D")]
    assert any(f"#{wanted} was taken" in m.text for m in direct)
    assert incident.timeline.filter(message__contains=f"#{wanted} was taken").exists()
