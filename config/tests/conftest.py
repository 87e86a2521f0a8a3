"""Fixtures of the API schema tests: the schema as served, an admin API client, the demo data."""

import json

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient


@pytest.fixture
def raw_schema(admin_client):
    response = admin_client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


@pytest.fixture
def admin_api(admin_user, settings):
    """An admin's API client, unthrottled: the schema walks send hundreds of requests."""
    framework = settings.REST_FRAMEWORK
    unlimited = dict.fromkeys(framework["DEFAULT_THROTTLE_RATES"], "100000/min")
    settings.REST_FRAMEWORK = {**framework, "DEFAULT_THROTTLE_RATES": unlimited}
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


@pytest.fixture
def demo(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
