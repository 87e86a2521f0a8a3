"""Absolute links for messages (mail, Slack, webhooks, SMS): the address people reach Beacon at,
BEACON_BASE_URL, and the page's path."""

from django.conf import settings
from django.urls import get_script_prefix, reverse


def absolute_url(viewname: str, *args: object) -> str:
    # reverse() starts with the script prefix of the request being served (none in a worker),
    # which BEACON_BASE_URL already ends with when Beacon is served under a sub-path.
    path = reverse(viewname, args=args).removeprefix(get_script_prefix())
    return f"{settings.BEACON_BASE_URL}/{path}"
