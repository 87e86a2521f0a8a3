"""Fixtures shared by every app's tests."""

import os

import pytest
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
