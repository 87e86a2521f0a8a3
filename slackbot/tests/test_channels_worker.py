"""The refresh of the bot's cached channels in a real Celery worker: Slack's Retry-After is
honoured off the acknowledgement path (the worker and the test share the database cache)."""

import pytest
from django.core.management import call_command

from notifications.tests import test_faults
from slackbot import channel_cache
from slackbot.tasks import refresh_slack_channels

broker, workers, wait_until = test_faults.broker, test_faults.workers, test_faults.wait_until
DATABASE_CACHE = {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "slack"}


@pytest.mark.broker
def test_a_rate_limited_refresh_waits_as_long_as_retry_after_says(workers, fake_slack, settings):
    settings.CACHES = {"default": DATABASE_CACHE}
    call_command("createcachetable", verbosity=0)
    fake_slack.add_channel("war-room", is_private=True)
    fake_slack.fail_next("users.conversations", retry_after=2)
    worker = workers(
        BEACON_TEST_SLACK_BOT_TOKEN=fake_slack.token,
        BEACON_TEST_SLACK_API_URL=f"{fake_slack.url}/api/",
        BEACON_TEST_CACHE_URL="dbcache://slack",
    )
    refresh_slack_channels.delay()
    wait_until(lambda: channel_cache.bot_channels() is not None, [worker])

    limited, listed = [r for r in fake_slack.requests if r.path.endswith("users.conversations")]
    assert (limited.answered_status, listed.answered_status) == (429, 200)
    assert 2 <= listed.received_at - limited.received_at < 6  # not a backoff of its own
    cached = channel_cache.bot_channels().values()
    assert sorted(c["name"] for c in cached) == ["beacon-drills", "incidents", "war-room"]
