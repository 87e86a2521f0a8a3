"""What the browser tests share: where Chromium is, how it starts, where screenshots go.
The `page` fixture itself is in the root conftest.py, for every app's browser tests."""

from pathlib import Path

from django.conf import settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
PASSWORD = "pass-word-123"  # factories.UserFactory's


def shoot(tab, name):
    tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
