"""The portal's one mapping from a service's refusal to what the page shows and its status.

A ValidationError is the input's fault (400): its messages go on the form that was sent, or
are shown as messages where there is no form. TransitionNotAllowed means the object has moved
on since the page was drawn (409) and PermissionDenied that this person may not (403): both
are shown as a message, in the service's own words, on the page drawn again.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest

from core.admin.refusals import Refusal
from core.exceptions import TransitionNotAllowed
from core.forms import ServiceErrorsMixin

PORTAL_REFUSALS = (ValidationError, TransitionNotAllowed, PermissionDenied)


def show_refusal(
    request: HttpRequest,
    error: Refusal,
    form: ServiceErrorsMixin | None = None,
    *,
    unplaced_as_message: bool = False,
) -> int:
    """Show `error` for the page about to be drawn again; return that page's status.

    With `unplaced_as_message`, a ValidationError that names none of the form's fields is
    also shown as a message, for pages whose forms do not show errors of their own.
    """
    if isinstance(error, ValidationError):
        if form is None:
            for message in error.messages:
                messages.error(request, message)
            return 400
        form.add_service_errors(error)
        named = getattr(error, "error_dict", {})
        if unplaced_as_message and not any(name in form.fields for name in named):
            messages.error(request, " ".join(error.messages))
        return 400
    if isinstance(error, TransitionNotAllowed):
        messages.error(request, error.message)
        return 409
    messages.error(request, str(error))
    return 403
