"""The service catalogue in the admin.

Services are saved through `service_create` and `service_update`, called by the form as its last
check, so a refusal (a service depending on itself) shows on the form and nothing is saved; the
delete page and the bulk delete go through `service_delete`.
`GuardedModelAdmin` adds the object-permissions pages, where `catalog.approve_playbook` is granted
on one service to users or groups; those pages are for superusers and holders of
`catalog.change_service` only, and the change permission checks the object too (guardian's admin
checks only the model). Each save's `CatalogEvent` is listed on the service's page, and all of them
(a deleted service's too) on their own read-only list.
"""

from functools import wraps

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from guardian.admin import GuardedModelAdmin

from catalog import services
from catalog.models import CatalogEvent, Service
from core.admin.forms import DeletedByServiceAdmin, ServiceModelForm
from core.admin.read_only import ReadOnly, ReadOnlyInline


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


def _describe_changes(event):
    return format_html_join(
        "",
        "<div>{}: {} → {}</div>",
        ((field, change["before"], change["after"]) for field, change in event.changes.items()),
    )


class CatalogEventInline(ReadOnlyInline):
    model = CatalogEvent
    fields = ["created_at", "kind", "actor", "what_changed"]
    readonly_fields = fields
    verbose_name_plural = _("history")
    related = ("actor",)

    @admin.display(description=_("changes"))
    def what_changed(self, event):
        return _describe_changes(event)


@admin.register(CatalogEvent)
class CatalogEventAdmin(ReadOnly, admin.ModelAdmin):
    """The catalogue's audit, written by catalog/services.py only: to read, never to edit."""

    list_display = ["created_at", "service_name", "kind", "actor"]
    list_filter = ["kind"]
    list_select_related = ["actor"]
    search_fields = ["service_name", "service__slug", "actor__username"]
    fields = ["created_at", "service", "service_name", "kind", "actor", "what_changed"]
    readonly_fields = fields

    @admin.display(description=_("changes"))
    def what_changed(self, event):
        return _describe_changes(event)

    def has_view_permission(self, request, obj=None):
        # For who sees every service here: a restricted service's history is as private as it.
        sees_all = _may(request.user, "view") or _may(request.user, "change")
        return sees_all and super().has_view_permission(request, obj)


@admin.register(Service)
class ServiceAdmin(DeletedByServiceAdmin, GuardedModelAdmin):
    """The catalogue entry; playbooks/admin/catalogue.py adds each service's coverage."""

    form = ServiceForm
    remove_service = staticmethod(services.service_delete)
    remove_argument = "service"
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
    inlines = [CatalogEventInline]
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

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []  # a new service has no history yet

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "may_manage_permissions": self.may_manage_permissions(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)
