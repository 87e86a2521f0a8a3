"""Every change to the service catalogue, one function each, each recorded as a `CatalogEvent`
in its transaction."""

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from catalog.models import CatalogEvent, CatalogEventKind, Service

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


def _snapshot(service: Service) -> dict[str, Any]:
    """The audited values of a saved service: its fields, its team and dependencies by slug."""
    values: dict[str, Any] = {field: getattr(service, field) for field in SERVICE_FIELDS}
    values["owner_team"] = service.owner_team.slug
    values["dependencies"] = sorted(service.dependencies.values_list("slug", flat=True))
    return values


def _save_service(service: Service, dependencies: list[Service] | None) -> Service:
    if dependencies is not None and any(dep.pk == service.pk for dep in dependencies):
        raise ValidationError({"dependencies": _("A service cannot depend on itself.")})
    service.full_clean()
    service.save()
    if dependencies is not None:
        service.dependencies.set(dependencies)
    return service


def _record(
    service: Service, kind: CatalogEventKind, actor: User, before: dict[str, Any]
) -> CatalogEvent | None:
    """The event of a write that changed something (as the other apps' audits: none else)."""
    after = _snapshot(service)
    changes = {
        field: {"before": before.get(field), "after": value}
        for field, value in after.items()
        if field not in before or before[field] != value
    }
    if not changes:
        return None
    return CatalogEvent.objects.create(service=service, kind=kind, actor=actor, changes=changes)


@transaction.atomic
def service_create(*, actor: User, dependencies: Iterable[Service] = (), **fields: Any) -> Service:
    """A new catalogue entry; needs `catalog.add_service`. `fields`: any of SERVICE_FIELDS."""
    if not (actor and actor.is_active and actor.has_perm("catalog.add_service")):
        raise PermissionDenied(_("You are not allowed to add services."))
    service = _save_service(Service(**fields), list(dependencies))
    _record(service, CatalogEventKind.CREATED, actor, before={})
    return service


@transaction.atomic
def service_update(
    *,
    actor: User,
    service: Service,
    dependencies: Iterable[Service] | None = None,
    **changes: Any,
) -> Service:
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
    before = _snapshot(service)
    for field, value in changes.items():
        setattr(service, field, value)
    service = _save_service(service, None if dependencies is None else list(dependencies))
    _record(service, CatalogEventKind.UPDATED, actor, before)
    return service
