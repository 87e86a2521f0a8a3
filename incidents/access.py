"""Who may see and act on an incident. Services and selectors both rely on these rules.

Public incidents are visible to every active user. Private (security) incidents are visible
only to superusers and to users or groups holding the `view_incident` object permission, which
declaration grants to the declarer, commander, responder, invitees and the security group.
Acting on an incident needs `change_incident`, either model-wide or on that incident.
"""

from collections.abc import Iterable
from typing import TypeGuard

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm

from notifications.models import Delivery, NotificationEvent

from .models import Incident, IncidentGroupObjectPermission, IncidentUserObjectPermission

VIEW = "view_incident"
CHANGE = "change_incident"

# Who asks: a person, or whoever `request.user` is (anonymous, or none outside a request).
AnyUser = User | AnonymousUser | None


def visible_incidents_q(user: AnyUser) -> Q:
    """A Q that keeps only the incidents `user` may see (use with Incident querysets)."""
    if not (user and user.is_authenticated and user.is_active):
        return Q(pk__in=[])
    if user.is_superuser:
        return Q()
    granted_to_user = IncidentUserObjectPermission.objects.filter(
        user=user, permission__codename=VIEW
    ).values("content_object_id")
    granted_to_groups = IncidentGroupObjectPermission.objects.filter(
        group__user=user, permission__codename=VIEW
    ).values("content_object_id")
    return Q(is_private=False) | Q(pk__in=granted_to_user) | Q(pk__in=granted_to_groups)


def can_view(user: AnyUser, incident: Incident) -> TypeGuard[User]:
    """Whether `user` may see `incident`: only an active, signed-in person (a User) may."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return (
        not incident.is_private or user.is_superuser or user.has_perm(f"incidents.{VIEW}", incident)
    )


def can_act(user: AnyUser, incident: Incident) -> TypeGuard[User]:
    if not can_view(user, incident):
        return False
    return user.has_perm(f"incidents.{CHANGE}") or user.has_perm(f"incidents.{CHANGE}", incident)


def was_paged(user: User, incident: Incident) -> bool:
    """Whether `user` was paged about `incident` (by a chain, a plan step or by hand)."""
    return Delivery.objects.filter(
        recipient=user, notification__incident=incident, notification__event=NotificationEvent.PAGE
    ).exists()


def can_acknowledge(user: AnyUser, incident: Incident) -> bool:
    """Acting on the incident, or answering a page about it: whoever is woken can say so,
    even an executive with a stakeholder's rights (that is all it lets them do)."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return can_act(user, incident) or was_paged(user, incident)


def ensure_can_acknowledge(user: AnyUser, incident: Incident) -> None:
    if not can_acknowledge(user, incident):
        raise PermissionDenied(
            _("You are not allowed to acknowledge incident %(ref)s.") % {"ref": incident.reference}
        )


def can_declare(user: AnyUser) -> bool:
    return bool(user and user.is_active and user.has_perm("incidents.add_incident"))


def can_waive(user: AnyUser, incident: Incident) -> bool:
    return can_act(user, incident) and (
        user.has_perm("incidents.waive_exit_criterion")
        or user.has_perm("incidents.waive_exit_criterion", incident)
    )


def ensure_can_act(user: AnyUser, incident: Incident) -> None:
    if not can_act(user, incident):
        raise PermissionDenied(
            _("You are not allowed to change incident %(ref)s.") % {"ref": incident.reference}
        )


def grant_participant(incident: Incident, user: User | None) -> None:
    """Whoever takes part in an incident may see and act on it, private or not."""
    if user is None:
        return
    for codename in (VIEW, CHANGE):
        assign_perm(codename, user, incident)


def grant_participants(incident: Incident, users: Iterable[User | None]) -> None:
    """grant_participant for several people at once (a new incident's): two queries."""
    users = [user for user in dict.fromkeys(users) if user is not None]
    if not users:
        return
    permissions = Permission.objects.filter(
        content_type=ContentType.objects.get_for_model(incident), codename__in=(VIEW, CHANGE)
    )
    IncidentUserObjectPermission.objects.bulk_create(
        [
            IncidentUserObjectPermission(permission=permission, user=user, content_object=incident)
            for permission in permissions
            for user in users
        ],
        ignore_conflicts=True,
    )


def grant_security_group(incident: Incident) -> None:
    group, _created = Group.objects.get_or_create(name=settings.BEACON_SECURITY_GROUP)
    for codename in (VIEW, CHANGE):
        assign_perm(codename, group, incident)
