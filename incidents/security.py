"""Who is asking, from where: the client's IP address (the same for lockouts, throttles and
logs), and the security log.

The security log (logger `beacon.security`, its own handler in settings.LOGGING) has one line
per event, `event=<name> key=value …`: failed logins, lockouts, logins, denied API requests,
token events. Lines name who (user, username tried, token prefix), the client IP and the path,
never incident content: callers pass identities only, never titles or request bodies.
"""

import json
import logging
import re

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest
from ipware import get_client_ip

log = logging.getLogger("beacon.security")

BARE = re.compile(r"[\w.:/@+-]{1,200}")  # written as is; anything else as a JSON string
MAX_VALUE = 200


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or behind `BEACON_PROXY_COUNT` proxies the address the farthest of them
    saw: counted from the right of `BEACON_CLIENT_IP_HEADER`, so what a client writes in that
    header itself is never taken for its address."""
    remote_addr = request.META.get("REMOTE_ADDR")
    proxies = settings.BEACON_PROXY_COUNT
    if not proxies:
        return remote_addr
    # ipware counts the proxies listed in the header: the nearest one is REMOTE_ADDR instead.
    address, _routable = get_client_ip(
        request,
        proxy_count=proxies - 1,
        request_header_order=[settings.BEACON_CLIENT_IP_HEADER],
        strict=False,
    )
    return address or remote_addr


def _value(value: object) -> str:
    text = "-" if value is None or value == "" else str(value)
    # Quoting escapes newlines and quotes: what a client typed cannot start a line of its own.
    return text if BARE.fullmatch(text) else json.dumps(text[:MAX_VALUE])


def security_event(
    event: str, request: HttpRequest | None = None, *, level: int = logging.INFO, **fields: object
) -> None:
    """Write one line: the event, `fields`, then the request's client IP and path."""
    if request is not None:
        fields.update(ip=client_ip(request), path=request.path)
    line = " ".join(f"{key}={_value(value)}" for key, value in {"event": event, **fields}.items())
    log.log(level, line)


@receiver(user_login_failed, dispatch_uid="beacon-security-login-failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    username = credentials.get("username")
    security_event("login_failed", request, level=logging.WARNING, username=username)


@receiver(user_locked_out, dispatch_uid="beacon-security-locked-out")
def _locked_out(sender, request, username, ip_address, **kwargs):
    security_event("locked_out", request, level=logging.WARNING, username=username)


@receiver(user_logged_in, dispatch_uid="beacon-security-login-ok")
def _logged_in(sender, request, user, **kwargs):
    security_event("login_ok", request, user=user.get_username())
