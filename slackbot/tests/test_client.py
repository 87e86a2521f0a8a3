"""Interactive Slack calls happen while someone waits: a short rate limit is retried once,
a long one is not waited for."""

import time

import pytest
from slack_sdk.errors import SlackApiError

from slackbot.client import SlackUnavailable, call


def test_a_one_second_rate_limit_is_retried_once(fake_slack):
    fake_slack.fail_next("auth.test", error="ratelimited", retry_after=1)
    assert call("auth_test")["ok"]
    assert len(fake_slack.calls("auth.test")) == 2


def test_a_long_rate_limit_is_not_waited_for(fake_slack):
    fake_slack.fail_next("auth.test", error="ratelimited", retry_after=30)
    started = time.monotonic()
    with pytest.raises(SlackApiError):
        call("auth_test")
    assert time.monotonic() - started < 1


def test_slack_unreachable_is_its_own_error(fake_slack, settings):
    settings.SLACK_API_URL = "http://127.0.0.1:9/api/"
    with pytest.raises(SlackUnavailable):
        call("auth_test")
