"""Shared fixtures; each app's tests/ adds its own."""

import pytest


@pytest.fixture(autouse=True)
def _media_and_broker_dirs(settings, tmp_path):
    settings.BROKER_DIR = tmp_path / "broker"
