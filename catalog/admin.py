"""The service catalogue in the admin.

Services are saved through `service_create` and `service_update`, called by the form as its last
check, so a refusal (a service depending on itself) shows on the form and nothing is saved.
`GuardedModelAdmin` adds the object-permissions pages, where `catalog.approve_playbook` is granted
on one service to users or groups; those pages are for superusers and holders of
`catalog.change_service` only, and the change permission checks the object too (guardian's admin
checks only the model).
"""

from functools import wraps

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from guardian.admin import GuardedModelAdmin

from catalog import services
from catalog.models import Service
from core.admin.forms import SavedByServiceAdmin, ServiceModelForm


def _may(user, action, obj=None):
    """A model permission, or guardian's on the object."""
    perm = f"catalog.{action}_service"
    return user.has_perm(perm) or (obj is not None and user.has_perm(perm, obj))


def _permission_managers_only(view):
    """Guardian's object-permissions views answer 403 to anyone else (they would redirect)."""

    @wraps(view)
    def guarded(self, request, *args, **kwargs):
        if not self.may_manage_permissions(request):
            raise PermissionDenied
        return view(self, request, *args, **kwargs)

    return guarded


class ServiceForm(ServiceModelForm):
    def call_service(self):
        fields = {f: v for f, v in self.cleaned_data.items() if f in services.SERVICE_FIELDS}
        dependencies = self.cleaned_data.get("dependencies")
        if self.instance.pk is None:
            return services.service_create(
                actor=self.actor, dependencies=dependencies or (), **fields
            )
        return services.service_update(
            actor=self.actor, service=self.instance, dependencies=dependencies, **fields
        )


@admin.register(Service)
class ServiceAdmin(SavedByServiceAdmin, GuardedModelAdmin):
    """The catalogue entry; playbooks/admin/catalogue.py adds each service's coverage."""

    form = ServiceForm
    change_form_template = "admin/catalog/service/change_form.html"
    list_display = [
        "name",
        "owner_team",
        "tier",
        "is_active",
    ]
    list_filter = ["tier", "owner_team", "is_active"]
    list_select_related = ["owner_team"]
    search_fields = ["name", "slug", "description", "owner_team__name"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["dependencies"]
    fields = [
        "name",
        "slug",
        "description",
        "owner_team",
        "tier",
        "is_active",
        "environments",
        "regions",
        "dependencies",
        "links",
    ]

    # --- permissions ----------------------------------------------------------------------

    def has_view_permission(self, request, obj=None):
        return _may(request.user, "view", obj) or self.has_change_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return _may(request.user, "change", obj)

    def has_delete_permission(self, request, obj=None):
        return _may(request.user, "delete", obj)

    def may_manage_permissions(self, request):
        """Who grants approvers: superusers and holders of `change_service` on every service."""
        return request.user.is_superuser or request.user.has_perm("catalog.change_service")

    obj_perms_manage_view = _permission_managers_only(GuardedModelAdmin.obj_perms_manage_view)
    obj_perms_manage_user_view = _permission_managers_only(
        GuardedModelAdmin.obj_perms_manage_user_view
    )
    obj_perms_manage_group_view = _permission_managers_only(
        GuardedModelAdmin.obj_perms_manage_group_view
    )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "may_manage_permissions": self.may_manage_permissions(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)
