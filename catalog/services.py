"""Every change to the service catalogue (creation, update, deletion), one function each, each
recorded as a `CatalogEvent` in its transaction."""

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from catalog.models import CatalogEvent, CatalogEventKind, Service
from core.exceptions import TransitionNotAllowed

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
    service: Service,
    kind: CatalogEventKind,
    actor: User,
    before: dict[str, Any],
    after: dict[str, Any] | None = None,
) -> CatalogEvent | None:
    """The event of a write that changed something (as the other apps' audits: none else).
    `after` is read from the service unless given: a deleted service has no values left."""
    after = _snapshot(service) if after is None else after
    changes = {
        field: {"before": before.get(field), "after": after.get(field)}
        for field in {**before, **after}
        if field not in before or field not in after or before[field] != after[field]
    }
    if not changes:
        return None
    return CatalogEvent.objects.create(
        service=service if service.pk else None,
        service_name=service.name,
        kind=kind,
        actor=actor,
        changes=changes,
    )


def _require(actor: User, action: str, service: Service) -> None:
    """The model permission, or guardian's on the service."""
    perm = f"catalog.{action}_service"
    if actor and actor.is_active and (actor.has_perm(perm) or actor.has_perm(perm, service)):
        return
    if action == "delete":
        raise PermissionDenied(_("You may not delete %(service)s.") % {"service": service})
    raise PermissionDenied(_("You may not change %(service)s.") % {"service": service})


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
    _require(actor, "change", service)
    service = Service.objects.select_for_update().get(pk=service.pk)
    before = _snapshot(service)
    for field, value in changes.items():
        setattr(service, field, value)
    service = _save_service(service, None if dependencies is None else list(dependencies))
    _record(service, CatalogEventKind.UPDATED, actor, before)
    return service


@transaction.atomic
def service_delete(*, actor: User, service: Service) -> None:
    """Delete a catalogue entry, with what its deletion cascades to (its playbooks); needs
    `catalog.delete_service` (model-wide or on it). Refused while anything protects it, as the
    incidents it affected do: retire it by making it inactive instead. Its history stays, the
    deletion last with its values and what went with it; each service that depended on it
    records the dependency gone."""
    _require(actor, "delete", service)
    service = Service.objects.select_for_update().get(pk=service.pk)
    before = _snapshot(service)
    dependents = [
        (dependent, _snapshot(dependent))
        for dependent in service.dependents.select_for_update().order_by("pk")
    ]
    try:
        deleted = service.delete()[1]
    except ProtectedError as error:
        users = sorted({str(obj._meta.verbose_name_plural) for obj in error.protected_objects})
        raise TransitionNotAllowed(
            _(
                "%(service)s is still referred to by %(users)s, so it cannot be deleted: "
                "make it inactive instead."
            )
            % {"service": service, "users": ", ".join(users)}
        ) from None
    went_with = {
        label: count
        for label, count in sorted(deleted.items())
        if count and label != Service._meta.label
    }
    if went_with:
        before["deleted_with"] = went_with
    _record(service, CatalogEventKind.DELETED, actor, before, after={})
    for dependent, values in dependents:
        _record(dependent, CatalogEventKind.UPDATED, actor, values)
