"""Map domain refusals onto HTTP: bad input 400 with field messages, illegal transition 409.
Requests refused for who is asking (401, 403, 429) go to the security log."""

import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.views import defaults
from rest_framework import status
from rest_framework.exceptions import NotFound, ParseError, ValidationError
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

API_PREFIX = "/api/"


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


def bad_request(request, exception):
    """Django's 400 (a body over the size limit, too many fields): JSON under /api/."""
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse({"detail": str(ParseError.default_detail)}, status=400)
    return defaults.bad_request(request, exception)


def not_found(request, exception):
    """Django's 404 (an address no route matches): JSON under /api/, as every API error is."""
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)
    return defaults.page_not_found(request, exception)
