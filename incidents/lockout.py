"""The page a locked-out login gets instead of the login form (django-axes'
AXES_LOCKOUT_CALLABLE), for the portal and the admin alike.

429 Too Many Requests rather than 403: the refusal is about the rate of failed attempts and
ends by itself, which `Retry-After` tells clients and the page tells people.
"""

from math import ceil

from axes.helpers import get_cool_off, get_failure_limit
from django.shortcuts import render
from django.utils import timezone


def lockout_response(request, original_response, credentials):
    cool_off = get_cool_off(request)
    # A try while locked counts as a failure and restarts the cool-off (axes'
    # AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT), so it ends one cool-off after this try.
    tried_at = getattr(request, "axes_attempt_time", None) or timezone.now()
    context = {
        "retry_at": tried_at + cool_off,
        "failure_limit": get_failure_limit(request, credentials),
    }
    response = render(request, "registration/locked_out.html", context, status=429)
    response["Retry-After"] = str(ceil(cool_off.total_seconds()))
    return response
