"""Map a service's refusals onto HTTP: bad input 400 with field messages, illegal transition 409,
and Django's own 400 and 404 as JSON under /api/."""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import status
from rest_framework.exceptions import NotFound, ParseError, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.exceptions import TransitionNotAllowed

API_PREFIX = "/api/"


def refusal_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's exception handler, which also answers a service's TransitionNotAllowed (409) and
    Django ValidationError (400, messages per field)."""
    if isinstance(exc, TransitionNotAllowed):
        return Response({"detail": exc.message}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = ValidationError(detail=detail)
    return drf_exception_handler(exc, context)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 400 (a body over the size limit, too many fields): JSON under /api/."""
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse({"detail": str(ParseError.default_detail)}, status=400)
    return defaults.bad_request(request, exception)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 404 (an address no route matches): JSON under /api/, as every API error is."""
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)
    return defaults.page_not_found(request, exception)
