"""What every people service shares: the permission check and the handling of `changes`."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from core.names import display_name


def require(actor, action, model):
    """The model permission `people.<action>_<model>`, or PermissionDenied."""
    codename = f"{model._meta.app_label}.{action}_{model._meta.model_name}"
    if actor is not None and actor.is_active and actor.has_perm(codename):
        return
    verbs = {"add": _("add"), "change": _("change"), "delete": _("remove")}
    raise PermissionDenied(
        _("You are not allowed to %(verb)s %(things)s.")
        % {"verb": verbs[action], "things": model._meta.verbose_name_plural}
    )


def refuse_unknown(changes, allowed):
    unknown = set(changes) - set(allowed)
    if unknown:
        raise ValidationError({field: _("This field cannot be edited here.") for field in unknown})


def strip(changes, *fields):
    for field in fields:
        if field in changes:
            changes[field] = (changes[field] or "").strip()


def apply_changes(instance, changes):
    """Set the changed fields; returns {field: (before, after)} (empty when nothing changed)."""
    changed = {}
    for field, value in changes.items():
        if getattr(instance, field) != value:
            changed[field] = (getattr(instance, field), value)
            setattr(instance, field, value)
    return changed


def check_person(user, field="user"):
    if user is None:
        raise ValidationError({field: _("Choose a person.")})
    if not user.is_active:
        raise ValidationError(
            {field: _("%(user)s has no active account.") % {"user": display_name(user)}}
        )
