"""The `Idempotency-Key` request header, as the API documents it and the request guard reads it
(the `idempotent` view decorator, which stores the keys, lives beside their model)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.exceptions import APIException

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_MAX_LENGTH = 255

HEADER_PARAMETER = OpenApiParameter(
    HEADER,
    {"type": "string", "maxLength": KEY_MAX_LENGTH},
    OpenApiParameter.HEADER,
    description=_(
        "A unique key per request. A retry with the same key and body gets the first response "
        "back without repeating the change."
    ),
)


class IdempotencyKeyReused(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _("This Idempotency-Key was already used for a different request.")
    default_code = "idempotency_key_reused"
