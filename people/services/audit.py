"""The audit row each people service writes in its transaction (people.models.PeopleEvent)."""

from django.contrib.contenttypes.models import ContentType
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from people.models import PeopleEvent

DESCRIPTION_LENGTH = PeopleEvent._meta.get_field("description").max_length


def record(*, actor, kind, about, description, message="", **data) -> PeopleEvent:
    """Record that `actor` did `kind` to `about` (a saved object: call before deleting it)."""
    return PeopleEvent.objects.create(
        actor=actor,
        kind=kind,
        about_type=ContentType.objects.get_for_model(about),
        about_id=about.pk,
        description=Truncator(description).chars(DESCRIPTION_LENGTH),
        message=message,
        data=data,
    )


def changed_message(instance, changes):
    """The message of an update: the fields it changed (apply_changes's answer), by name."""
    names = [str(instance._meta.get_field(field).verbose_name) for field in changes]
    return _("Changed: %(fields)s.") % {"fields": ", ".join(names)}


def changed_data(changes):
    """The details of an update: each changed field's value before and after."""
    return {field: {"from": old, "to": new} for field, (old, new) in changes.items()}
