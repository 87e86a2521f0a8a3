"""The cached list of the bot's channels is written under a lock: Slack's events arrive
together, and two read-edit-write cycles at once must not lose one of the edits."""

import threading

import pytest
from django.core.cache import cache

from notifications.channels import RetryableError
from slackbot import channel_cache
from slackbot.tests.slack_requests import SECRET, event

pytestmark = pytest.mark.django_db


def cached(*ids):
    channel_cache.store([{"id": i, "name": i.lower()} for i in ids])


class PausingAfterRead:
    """The cache, but the thread named `first` stops between reading the list and writing
    it, until `resume` is set or half a second has passed."""

    def __init__(self):
        self.read = threading.Event()
        self.resume = threading.Event()

    def __getattr__(self, name):
        return getattr(cache, name)

    def get(self, key, *args, **kwargs):
        value = cache.get(key, *args, **kwargs)
        if key == channel_cache.KEY and threading.current_thread().name == "first":
            self.read.set()
            self.resume.wait(timeout=0.5)
        return value


def test_two_edits_at_once_both_stay(monkeypatch):
    cached("C1", "C2", "C3")
    pausing = PausingAfterRead()
    monkeypatch.setattr(channel_cache, "cache", pausing)
    monkeypatch.setattr(channel_cache, "LOCK_WAIT", 10)

    def second_edit():
        channel_cache.forget("C2")
        pausing.resume.set()

    first = threading.Thread(target=channel_cache.forget, args=("C1",), name="first")
    first.start()
    assert pausing.read.wait(timeout=10)
    second = threading.Thread(target=second_edit, name="second")
    second.start()
    second.join(timeout=20)
    first.join(timeout=20)
    assert set(channel_cache.bot_channels()) == {"C3"}


def test_a_refresh_written_during_an_edit_is_not_undone_by_it(monkeypatch):
    cached("C1", "C2")
    pausing = PausingAfterRead()
    monkeypatch.setattr(channel_cache, "cache", pausing)
    monkeypatch.setattr(channel_cache, "LOCK_WAIT", 10)

    def refresh():
        cached("C1", "C2", "C4")  # the periodic refresh's listing: a new channel
        pausing.resume.set()

    first = threading.Thread(target=channel_cache.forget, args=("C1",), name="first")
    first.start()
    assert pausing.read.wait(timeout=10)
    second = threading.Thread(target=refresh, name="second")
    second.start()
    second.join(timeout=20)
    first.join(timeout=20)
    # The refresh wrote after the edit: its listing wins, the new channel with it.
    assert set(channel_cache.bot_channels()) == {"C1", "C2", "C4"}


def test_a_writer_that_cannot_lock_is_retried_later(monkeypatch):
    cached("C1")
    monkeypatch.setattr(channel_cache, "LOCK_WAIT", 0.05)
    assert cache.add(channel_cache.LOCK_KEY, "someone else", timeout=60)
    with pytest.raises(RetryableError):
        channel_cache.forget("C1")
    assert set(channel_cache.bot_channels()) == {"C1"}
    cache.delete(channel_cache.LOCK_KEY)
    channel_cache.forget("C1")
    assert channel_cache.bot_channels() == {}


def test_an_event_while_the_list_is_locked_is_still_answered(
    client, settings, monkeypatch, fake_slack
):
    settings.SLACK_SIGNING_SECRET = SECRET
    cached("C1")
    monkeypatch.setattr(channel_cache, "LOCK_WAIT", 0.05)
    assert cache.add(channel_cache.LOCK_KEY, "someone else", timeout=60)
    response = event(client, {"type": "channel_archive", "channel": "C1", "user": "U0CORA"})
    assert response.status_code == 200
