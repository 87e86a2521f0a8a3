"""Map domain refusals onto HTTP: bad input 400 with field messages, illegal transition 409.
Requests refused for who is asking (401, 403, 429) go to the security log."""

import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from incidents.exceptions import TransitionNotAllowed
from incidents.security import security_event

from .authentication import presented_prefix

DENIED = {
    status.HTTP_401_UNAUTHORIZED,
    status.HTTP_403_FORBIDDEN,
    status.HTTP_429_TOO_MANY_REQUESTS,
}


def exception_handler(exc, context):
    if isinstance(exc, TransitionNotAllowed):
        return Response({"detail": exc.message}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = ValidationError(detail=detail)
    response = drf_exception_handler(exc, context)
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
