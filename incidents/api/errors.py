"""The API's exception handler: a service's refusals as core maps them, and requests refused
for who is asking (401, 403, 429) in the security log, with the API token they presented."""

import logging

from rest_framework import status

from core.api.errors import refusal_exception_handler
from incidents.security import security_event

from .authentication import presented_prefix

DENIED = {
    status.HTTP_401_UNAUTHORIZED,
    status.HTTP_403_FORBIDDEN,
    status.HTTP_429_TOO_MANY_REQUESTS,
}


def exception_handler(exc, context):
    response = refusal_exception_handler(exc, context)
    if response is not None and response.status_code in DENIED:
        log_denied(context["request"], response.status_code)
    return response


def log_denied(request, status_code):
    # DRF has authenticated by now (a failed authentication leaves the anonymous user).
    user = request.user
    security_event(
        "api_denied",
        request,
        level=logging.WARNING,
        status=status_code,
        user=user.get_username() if user.is_authenticated else None,
        token=presented_prefix(request),
    )
