"""Who sees which service of the catalogue."""

from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet

from catalog.models import Service, ServiceGroupObjectPermission, ServiceUserObjectPermission

VIEW_SERVICE = "view_service"

# The ids of the services granted, one row each: {"content_object_id": …}.
_Granted = tuple[
    QuerySet[ServiceUserObjectPermission, dict[str, Any]],
    QuerySet[ServiceGroupObjectPermission, dict[str, Any]],
]


def _granted_service_ids(**who: dict[str, Any]) -> _Granted:
    """The services granted `view_service` to users, and to groups; `who` narrows each with
    its lookups: {"user": {…}, "group": {…}}."""
    return (
        ServiceUserObjectPermission.objects.filter(
            permission__codename=VIEW_SERVICE, **who.get("user", {})
        ).values("content_object_id"),
        ServiceGroupObjectPermission.objects.filter(
            permission__codename=VIEW_SERVICE, **who.get("group", {})
        ).values("content_object_id"),
    )


def visible_services(user: User | AnonymousUser | None) -> QuerySet[Service]:
    """The services `user` may see, with their playbooks and versions.

    A service is restricted once anyone holds `view_service` on it (django-guardian, for a user
    or a group); then only superusers, holders of the model-wide `catalog.view_service` and
    those it is granted to see it. Every other service is open to every active user.
    """
    services = Service.objects.all()
    if not (user and user.is_authenticated and user.is_active):
        return services.none()
    if user.is_superuser or user.has_perm(f"catalog.{VIEW_SERVICE}"):
        return services
    by_user, by_group = _granted_service_ids()
    mine, my_groups = _granted_service_ids(user={"user": user}, group={"group__user": user})
    return services.filter(
        ~(Q(pk__in=by_user) | Q(pk__in=by_group)) | Q(pk__in=mine) | Q(pk__in=my_groups)
    )
