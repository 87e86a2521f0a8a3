"""Fixtures shared by every app's tests."""

import os

import pytest
from django.core.cache import cache
from django.db import connections

from incidents.tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS


@pytest.fixture
def page(live_server, transactional_db, monkeypatch):
    if not CHROMIUM.exists():
        # CI sets BEACON_REQUIRE_BROWSER: there a missing browser fails instead of hiding.
        message = f"headless Chromium is not installed at {CHROMIUM}"
        if os.environ.get("BEACON_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; Django would refuse the ORM.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        tab = context.new_page()
        tab.set_default_timeout(10_000)
        yield tab
        browser.close()
        # ORM calls made while Playwright's loop ran used a connection of their own context.
        connections.close_all()


@pytest.fixture
def fake_slack(settings):
    """A local fake of the Slack Web API, with Beacon configured to use it.

    The bot is in #incidents (the broadcast channel) and #beacon-drills.
    """
    from notifications.testing import FakeSlack

    with FakeSlack() as slack:
        settings.SLACK_BOT_TOKEN = slack.token
        settings.SLACK_API_URL = slack.url + "/api/"
        slack.add_channel("incidents")
        slack.add_channel("beacon-drills")
        yield slack


@pytest.fixture
def webhook_receiver():
    """A local webhook receiver (also the SMS provider) that can fail, hang or rate-limit."""
    from notifications.testing import FakeWebhookReceiver

    with FakeWebhookReceiver() as receiver:
        yield receiver


@pytest.fixture(autouse=True)
def _broker_not_paused(settings, tmp_path):
    """A test that took the broker down must not leave publishing paused for the next one."""
    settings.BEACON_BROKER_DOWN_FILE = str(tmp_path / "broker-down")


@pytest.fixture(autouse=True)
def _empty_cache():
    """Throttle counts live in the cache: each test starts with none."""
    cache.clear()
