"""What notifications are about, as the apps that own those rows describe them.

The outbox knows nothing of incidents: an app whose rows notifications are about (`about`, a
generic relation) registers here who may see them, how the admin finds them, and how long a
page about one may wait for its provider. A notification about nothing is seen by everyone who
may see the outbox; one about a model nobody registered is seen by no one.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from notifications.models import Notification

User = AbstractBaseUser | AnonymousUser


@dataclass(frozen=True)
class AboutModel:
    model: type[models.Model]
    # The rows of `model` a user may see (the outbox rows about others answer 404).
    visible: Callable[[User], "models.QuerySet[models.Model]"]
    # Lookups from Notification for the admin's search (through the owner's reverse relation).
    search_fields: Sequence[str] = ()
    # Seconds a page about this row may wait for its provider; None: the default bound.
    page_wait_limit: Callable[[models.Model], int | None] = lambda row: None


_registered: dict[type[models.Model], AboutModel] = {}


def register(about: AboutModel) -> None:
    _registered[about.model] = about


def visible_q(user: User, *, prefix: str = "") -> Q:
    """Outbox rows `user` may see: about nothing, or about a row its owner lets them see.
    `prefix` leads from the queried model to its notification ("notification__")."""
    visible = Q(**{f"{prefix}about_type__isnull": True})
    for model, about in _registered.items():
        # A subquery, not a lookup now: a queryset is built before any database is reached
        # (the schema's views, say).
        of_model = ContentType.objects.filter(
            app_label=model._meta.app_label, model=model._meta.model_name
        )
        visible |= Q(
            **{
                f"{prefix}about_type__in": of_model,
                f"{prefix}about_id__in": about.visible(user).values("pk"),
            }
        )
    return visible


def search_fields() -> list[str]:
    return [field for about in _registered.values() for field in about.search_fields]


def page_wait_limit(notification: Notification) -> int | None:
    """The registered bound on how long a page about this notification's row may wait."""
    row = notification.about
    about = _registered.get(type(row)) if row is not None else None
    return about.page_wait_limit(row) if about is not None and row is not None else None
