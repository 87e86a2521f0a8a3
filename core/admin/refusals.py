"""The three ways a service refuses, and the words it uses, for forms and action messages."""

from django.core.exceptions import PermissionDenied, ValidationError

from core.exceptions import TransitionNotAllowed

REFUSALS = (ValidationError, TransitionNotAllowed, PermissionDenied)
Refusal = ValidationError | TransitionNotAllowed | PermissionDenied


def refusal_messages(error: Refusal) -> list[str]:
    """The service's own messages for a refusal, unchanged."""
    if isinstance(error, TransitionNotAllowed):
        return [error.message]
    if isinstance(error, ValidationError):
        return error.messages
    return [str(error)]
