"""Every change to the service catalogue, one function each."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from catalog.models import Service

SERVICE_FIELDS = (
    "name",
    "slug",
    "description",
    "owner_team",
    "tier",
    "environments",
    "regions",
    "links",
    "is_active",
)


def _save_service(service, dependencies):
    if dependencies is not None and any(dep.pk == service.pk for dep in dependencies):
        raise ValidationError({"dependencies": _("A service cannot depend on itself.")})
    service.full_clean()
    service.save()
    if dependencies is not None:
        service.dependencies.set(dependencies)
    return service


@transaction.atomic
def service_create(*, actor, dependencies=(), **fields) -> Service:
    """A new catalogue entry; needs `catalog.add_service`. `fields`: any of SERVICE_FIELDS."""
    if not (actor and actor.is_active and actor.has_perm("catalog.add_service")):
        raise PermissionDenied(_("You are not allowed to add services."))
    return _save_service(Service(**fields), list(dependencies))


@transaction.atomic
def service_update(*, actor, service, dependencies=None, **changes) -> Service:
    """Change a catalogue entry; needs `catalog.change_service` (model-wide or on it)."""
    if not (
        actor
        and actor.is_active
        and (
            actor.has_perm("catalog.change_service")
            or actor.has_perm("catalog.change_service", service)
        )
    ):
        raise PermissionDenied(_("You may not change %(service)s.") % {"service": service})
    service = Service.objects.select_for_update().get(pk=service.pk)
    for field, value in changes.items():
        setattr(service, field, value)
    return _save_service(service, None if dependencies is None else list(dependencies))
