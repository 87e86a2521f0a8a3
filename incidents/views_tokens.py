"""The API token section of Preferences: create, rotate and revoke are POSTs that call the
services and come back to Preferences.

A new key is shown once: it waits in the session only until Preferences next renders, which
takes it out (so it is neither stored with the token nor ever in a URL).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors, services

NEW_KEY = "beacon_new_api_token"


def token_section(request):
    """What incidents/_api_token.html shows; takes the new key out of the session."""
    return {
        "api_token": selectors.api_token_of(user=request.user),
        "new_api_token": request.session.pop(NEW_KEY, None),
    }


def _back(request, change, done):
    try:
        token, key = change()
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        if key:
            request.session[NEW_KEY] = key
        messages.success(request, done % {"prefix": token.prefix})
    return redirect(reverse("portal:preferences") + "#api-token")


@login_required
@require_POST
def api_token_create(request):
    label = request.POST.get("label", "").strip()
    return _back(
        request,
        lambda: services.api_token_create(user=request.user, actor=request.user, label=label),
        _("API token %(prefix)s… created. Copy it now: it is shown only this once."),
    )


@login_required
@require_POST
def api_token_rotate(request):
    return _back(
        request,
        lambda: services.api_token_rotate(user=request.user, actor=request.user),
        _("API token rotated: the old one no longer works. Copy the new one, %(prefix)s…, now."),
    )


@login_required
@require_POST
def api_token_revoke(request):
    return _back(
        request,
        lambda: (services.api_token_revoke(user=request.user, actor=request.user), None),
        _("API token %(prefix)s… revoked: it no longer works."),
    )
