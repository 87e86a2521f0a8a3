"""Links in messages are absolute, from BEACON_BASE_URL, wherever the message is built: in a
web request served under a sub-path (its script prefix) or in a worker (none)."""

from types import SimpleNamespace

import pytest
from django.urls import set_script_prefix

from incidents.services.announce import incident_url
from notifications.links import absolute_url


@pytest.fixture
def under_sub_path(settings):
    settings.BEACON_BASE_URL = "https://corp.example.com/beacon"
    yield
    set_script_prefix("/")


@pytest.mark.parametrize("script_prefix", ["/beacon/", "/"], ids=["request", "worker"])
def test_links_are_the_base_url_and_the_page_path(under_sub_path, script_prefix):
    set_script_prefix(script_prefix)
    assert absolute_url("portal:policy") == "https://corp.example.com/beacon/policy/"
    assert (
        absolute_url("playbooks:service", "checkout")
        == "https://corp.example.com/beacon/playbooks/checkout/"
    )
    assert (
        incident_url(SimpleNamespace(reference="INC-7"))
        == "https://corp.example.com/beacon/incidents/INC-7/"
    )
