import functools
from collections.abc import Callable
from typing import Concatenate, ParamSpec

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from slack_sdk.signature import SignatureVerifier

P = ParamSpec("P")


def verified(
    view: Callable[Concatenate[HttpRequest, P], HttpResponse],
) -> Callable[Concatenate[HttpRequest, P], HttpResponse]:
    """Refuse a request not signed with our signing secret, or older than five minutes."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        if not settings.SLACK_SIGNING_SECRET:
            return HttpResponse("Slack is not configured (SLACK_SIGNING_SECRET).", status=503)
        verifier = SignatureVerifier(settings.SLACK_SIGNING_SECRET)
        try:
            valid = verifier.is_valid(
                body=request.body,
                timestamp=request.headers.get("X-Slack-Request-Timestamp", ""),
                signature=request.headers.get("X-Slack-Signature", ""),
            )
        except (ValueError, OverflowError):
            # slack_sdk 3.48.0 raises instead of answering False: ValueError for a timestamp
            # int() refuses ("", "abc") and for a body that is not UTF-8, OverflowError for
            # one too large to compare with the clock (400 digits).
            valid = False
        if not valid:
            return HttpResponse("Invalid or stale Slack signature.", status=401)
        return view(request, *args, **kwargs)

    return wrapper
