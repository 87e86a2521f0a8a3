"""Throttles for the API and for the Slack endpoints, built on DRF's throttle classes and the
shared cache (`CACHES["default"]`), so every web process counts the same requests.

Rates are `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`, read on each request (DRF reads them
once, at import) and checked by `manage.py check`. Clients are told apart by `client_ip`, not
by the X-Forwarded-For they send.
"""

import contextlib
import functools
import json
import logging
import re
from math import ceil

from django.core import checks
from django.core.exceptions import SuspiciousOperation
from django.http import HttpResponse, QueryDict
from django.utils.translation import gettext as _
from rest_framework import throttling
from rest_framework.exceptions import Throttled
from rest_framework.settings import api_settings

from incidents.security import client_ip, security_event

SLACK_ID = re.compile(r"[A-Z0-9]{1,32}")  # team T…, user U… or W…, enterprise E…


class ClientRates:
    """What Beacon's throttles change in DRF's: the client IP, and rates read when used."""

    @property
    def THROTTLE_RATES(self):  # noqa: N802 (DRF's name)
        return api_settings.DEFAULT_THROTTLE_RATES

    def get_ident(self, request):
        return client_ip(request)


class AnonRateThrottle(ClientRates, throttling.AnonRateThrottle):
    """Anonymous requests, per client IP (scope "anon")."""


class UserRateThrottle(ClientRates, throttling.UserRateThrottle):
    """Every request of a user (scope "user")."""


class ScopedRateThrottle(ClientRates, throttling.ScopedRateThrottle):
    """A tighter count for views with a `throttle_scope`, per user (e.g. "declare")."""


class SlackRateThrottle(ClientRates, throttling.SimpleRateThrottle):
    """Slack requests per Slack user: Slack posts from a few addresses of its own, so the team
    and user in the body tell people apart; a body naming no user is counted by client IP."""

    scope = "slack"

    def get_cache_key(self, request, view):
        ident = slack_user_of(request) or self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class TokenFailures(ClientRates, throttling.SimpleRateThrottle):
    """Failed token authentications from one client IP (scope "token_failures"), counted in
    fixed windows of the rate's period with the cache's atomic increment, so guesses sent in
    parallel are all counted (DRF's history list would lose some). Used by the API's token
    authentication, which knows when a token failed (incidents/api/authentication.py)."""

    scope = "token_failures"

    def __init__(self, request):
        super().__init__()
        now = self.timer()
        window = int(now // self.duration)
        ident = f"{self.get_ident(request)}:{window}"
        self.key = self.cache_format % {"scope": self.scope, "ident": ident}
        self.seconds_left = (window + 1) * self.duration - now

    def refuse_when_over(self):
        if (self.cache.get(self.key) or 0) >= self.num_requests:
            raise Throttled(wait=self.seconds_left)

    def count(self):
        self.cache.add(self.key, 0, timeout=self.duration)
        with contextlib.suppress(ValueError):  # gone between add and incr: its window ended
            self.cache.incr(self.key)


def _slack_fields(request):
    """The body as Slack sends it: a form (a command, or an interaction's JSON `payload`) or
    JSON (an event); {} for anything else. Reads the raw body, never `request.POST`: the
    endpoint checks the signature over the raw body afterwards."""
    try:
        if request.content_type == "application/json":
            return json.loads(request.body)
        if request.content_type == "application/x-www-form-urlencoded":
            form = QueryDict(request.body)
            return json.loads(form["payload"]) if "payload" in form else form.dict()
    except (ValueError, RecursionError, SuspiciousOperation):
        pass
    return {}


def _slack_id(fields, *keys):
    value = fields
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, str) and SLACK_ID.fullmatch(value) else None


def slack_user_of(request):
    """The "team:user" a Slack request's body names, or None."""
    fields = _slack_fields(request)
    user = (
        _slack_id(fields, "user_id")
        or _slack_id(fields, "user", "id")
        or _slack_id(fields, "event", "user")
    )
    team = _slack_id(fields, "team_id") or _slack_id(fields, "team", "id") or "-"
    return f"{team}:{user}" if user else None


def throttled(view, throttle_class=SlackRateThrottle):
    """`view` (a plain Django view) behind a DRF throttle: once the rate is used up it answers
    429 with Retry-After, which Slack honours when it retries."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        throttle = throttle_class()
        if throttle.allow_request(request, None):
            return view(request, *args, **kwargs)
        seconds = ceil(throttle.wait() or throttle.duration)
        security_event(
            "slack_throttled", request, level=logging.WARNING, slack_user=slack_user_of(request)
        )
        response = HttpResponse(
            _("Too many requests: try again in %(seconds)d seconds.") % {"seconds": seconds},
            status=429,
            content_type="text/plain; charset=utf-8",
        )
        response["Retry-After"] = str(seconds)
        return response

    return wrapper


def rate_per_second(rate):
    """A DRF rate ("10/min") in requests per second; ValueError when DRF could not read it."""
    try:
        requests, seconds = throttling.SimpleRateThrottle.parse_rate(None, rate)  # no state used
        return requests / seconds
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{rate!r} is not a rate") from error


@checks.register(checks.Tags.security)
def check_throttle_rates(app_configs, **kwargs):
    errors = []
    for scope, rate in api_settings.DEFAULT_THROTTLE_RATES.items():
        try:
            rate_per_second(rate)
        except ValueError:
            errors.append(
                checks.Error(
                    f"The {scope} throttle rate {rate!r} is not a rate.",
                    hint="Write it as requests/period, e.g. 10/min (s, min, hour, day).",
                    id="beacon.E001",
                )
            )
    return errors
