"""What every people service shares: the permission check and applying `changes` (core.changes
refuses unknown fields and strips text)."""

from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model
from django.utils.translation import gettext as _

from core.names import display_name

# Who calls a service: the signed-in user, else whoever the request has (refused).
Actor = User | AnonymousUser | None

# What apply_changes changed: each field's value before and after.
Changes = dict[str, tuple[Any, Any]]


def require(actor: Actor, action: str, model: type[Model]) -> User:
    """The actor, if they hold the model permission `people.<action>_<model>`; else
    PermissionDenied."""
    codename = f"{model._meta.app_label}.{action}_{model._meta.model_name}"
    if isinstance(actor, User) and actor.is_active and actor.has_perm(codename):
        return actor
    verbs = {"add": _("add"), "change": _("change"), "delete": _("remove")}
    raise PermissionDenied(
        _("You are not allowed to %(verb)s %(things)s.")
        % {"verb": verbs[action], "things": model._meta.verbose_name_plural}
    )


def require_own_or(actor: Actor, user: User, action: str, model: type[Model], refusal: str) -> User:
    """The actor: a person may always `action` what is their own (`user`'s); others need the
    model permission, else PermissionDenied with `refusal`."""
    if isinstance(actor, User) and actor.is_active and actor.pk == user.pk:
        return actor
    try:
        return require(actor, action, model)
    except PermissionDenied:
        raise PermissionDenied(refusal) from None


def apply_changes(instance: Model, changes: dict[str, Any]) -> Changes:
    """Set the changed fields; returns what changed (empty when nothing did)."""
    changed = {}
    for field, value in changes.items():
        if getattr(instance, field) != value:
            changed[field] = (getattr(instance, field), value)
            setattr(instance, field, value)
    return changed


def refuse_or_clean(instance: Model, errors: dict[str, str]) -> None:
    """Raise the service's own `errors`, if any; else check `instance` with `full_clean`."""
    if errors:
        raise ValidationError(errors)
    instance.full_clean()


def check_person(user: User | None, field: str = "user") -> User:
    """`user`, if it is an active account; else ValidationError on `field`."""
    if user is None:
        raise ValidationError({field: _("Choose a person.")})
    if not user.is_active:
        raise ValidationError(
            {field: _("%(user)s has no active account.") % {"user": display_name(user)}}
        )
    return user
