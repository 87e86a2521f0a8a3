"""Idempotency keys on POST: a retried request is answered from the database, not redone.

A successful response is stored under (user, key) in the same transaction as the view's
effect, so the effect and its key commit together. A refused request changed nothing and stores
nothing: the client may fix it and retry with the same key.
"""

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any, cast

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import ParseError
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.idempotency import HEADER, KEY_MAX_LENGTH, REPLAYED_HEADER, IdempotencyKeyReused
from core.models import IdempotencyKey


def _request_hash(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, cls=DjangoJSONEncoder)
    return hashlib.sha256(body.encode()).hexdigest()


def _user_id(request: Request) -> int:
    # Every API write is authenticated before its view runs.
    return cast(int, request.user.pk)


def _stored(request: Request, key: str) -> IdempotencyKey | None:
    return IdempotencyKey.objects.filter(user_id=_user_id(request), key=key).first()


def _replay(stored: IdempotencyKey, request: Request, request_hash: str) -> Response:
    if (stored.method, stored.path, stored.request_hash) != (
        request.method,
        request.path,
        request_hash,
    ):
        raise IdempotencyKeyReused()
    return Response(
        stored.response_body, status=stored.response_status, headers={REPLAYED_HEADER: "true"}
    )


ViewMethod = Callable[..., Response]


def idempotent(view_method: ViewMethod) -> ViewMethod:
    """Honour the `Idempotency-Key` header on POSTs to this view method (put it under @action)."""

    @functools.wraps(view_method)
    def wrapper(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if request.method != "POST" or not key:
            return view_method(self, request, *args, **kwargs)
        if len(key) > KEY_MAX_LENGTH:
            raise ParseError(
                _("The %(header)s header is longer than %(max)d characters.")
                % {"header": HEADER, "max": KEY_MAX_LENGTH}
            )
        request_hash = _request_hash(request)
        stored = _stored(request, key)
        if stored is not None:
            return _replay(stored, request, request_hash)
        try:
            with transaction.atomic():
                response = view_method(self, request, *args, **kwargs)
                if status.is_success(response.status_code):
                    IdempotencyKey.objects.create(
                        user_id=_user_id(request),
                        key=key,
                        method=request.method,
                        path=request.path,
                        request_hash=request_hash,
                        response_status=response.status_code,
                        response_body=response.data,
                    )
        except IntegrityError:
            # A concurrent request with the same key committed first: ours was rolled back.
            stored = _stored(request, key)
            if stored is None:
                raise
            return _replay(stored, request, request_hash)
        return response

    wrapper.idempotent = True  # type: ignore[attr-defined]  # the schema documents the header
    return wrapper
