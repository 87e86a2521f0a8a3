"""The service catalogue and its playbooks in the admin, and the coverage report.

Services are saved through `service_create` and `service_update`, called by the form as its last
check, so a refusal (a service depending on itself) shows on the form and nothing is saved. A
playbook is added through `playbook_create`, with its first draft; its title, service and type
are then edited here as a plain record. `GuardedModelAdmin` adds the
object-permissions pages, where `playbooks.approve_playbook` is granted on one service to users
or groups; those pages are for superusers and holders of `playbooks.change_service` only, and
the change permission checks the object too (guardian's admin checks only the model).
"""

from functools import wraps

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Q
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from guardian.admin import GuardedModelAdmin

from core.admin.forms import SavedByServiceAdmin, ServiceModelForm
from playbooks import selectors, services
from playbooks.models import Playbook, PlaybookVersion, Service, VersionStatus

from .versions import version_link


class CoverageChangeList(ChangeList):
    """Attaches each listed service's coverage row, fetched in a constant number of queries."""

    def get_results(self, request):
        super().get_results(request)
        rows = {row.service.pk: row for row in selectors.coverage()}
        for service in self.result_list:
            service.coverage = rows.get(service.pk)


def _may(user, action, obj=None):
    """A model permission, or guardian's on the object."""
    perm = f"playbooks.{action}_service"
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


class PlaybookAddForm(ServiceModelForm):
    def call_service(self):
        draft = services.playbook_create(actor=self.actor, **self.cleaned_data)
        return draft.playbook


@admin.register(Service)
class ServiceAdmin(SavedByServiceAdmin, GuardedModelAdmin):
    form = ServiceForm
    change_form_template = "admin/playbooks/service/change_form.html"
    list_display = [
        "name",
        "owner_team",
        "tier",
        "is_active",
        "has_approved_playbook",
        "verified_and_current",
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

    def get_changelist(self, request, **kwargs):
        return CoverageChangeList

    @admin.display(description=_("approved playbook"), boolean=True)
    def has_approved_playbook(self, service):
        row = getattr(service, "coverage", None)
        return None if row is None else row.has_approved

    @admin.display(description=_("verified & current"), boolean=True)
    def verified_and_current(self, service):
        row = getattr(service, "coverage", None)
        return None if row is None else row.verified_current

    # --- permissions ----------------------------------------------------------------------

    def has_view_permission(self, request, obj=None):
        return _may(request.user, "view", obj) or self.has_change_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return _may(request.user, "change", obj)

    def has_delete_permission(self, request, obj=None):
        return _may(request.user, "delete", obj)

    def may_manage_permissions(self, request):
        """Who grants approvers: superusers and holders of `change_service` on every service."""
        return request.user.is_superuser or request.user.has_perm("playbooks.change_service")

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

    # --- the coverage report --------------------------------------------------------------

    def get_urls(self):
        coverage = self.admin_site.admin_view(self.coverage_view)
        return [
            path("coverage/", coverage, name="playbooks_service_coverage"),
            *super().get_urls(),
        ]

    def coverage_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        rows = selectors.coverage()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Playbook coverage"),
            "rows": rows,
            "covered": sum(1 for row in rows if row.is_covered),
            "total": len(rows),
            "changelist_url": reverse("admin:playbooks_service_changelist"),
            "versions_url": reverse("admin:playbooks_playbookversion_changelist"),
        }
        return TemplateResponse(request, "admin/playbooks/service/coverage.html", context)


class VersionInline(admin.TabularInline):
    """A playbook's versions, read-only: they change through their own page and actions."""

    model = PlaybookVersion
    fields = ["version", "status", "author", "created_at", "approval_count", "decided_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False
    verbose_name_plural = _("versions")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("author", "playbook")
            .annotate(n_approvals=Count("approvals"))
        )

    @admin.display(description=_("version"))
    def version(self, version):
        return version_link(version)

    @admin.display(description=_("approvals"))
    def approval_count(self, version):
        return version.n_approvals

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Playbook)
class PlaybookAdmin(SavedByServiceAdmin, admin.ModelAdmin):
    list_display = ["title", "service", "incident_type", "approved_version", "pending_reviews"]
    list_filter = ["service__tier", "service__owner_team"]
    list_select_related = ["service", "incident_type"]
    search_fields = ["title", "service__name"]
    fields = ["service", "incident_type", "title"]
    inlines = [VersionInline]

    def saved_by_service(self, change):
        return not change  # added by playbook_create; its title, service and type plain edits

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = PlaybookAddForm
        return super().get_form(request, obj, **kwargs)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                approved_number=Max(
                    "versions__number", filter=Q(versions__status=VersionStatus.APPROVED)
                ),
                in_review=Count("versions", filter=Q(versions__status=VersionStatus.IN_REVIEW)),
            )
        )

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        # A playbook with versions keeps them: they record what was approved and verified.
        if obj is not None and obj.versions.exists():
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description=_("approved version"), ordering="approved_number")
    def approved_version(self, playbook):
        if playbook.approved_number is None:
            return format_html("<strong>{}</strong>", _("none"))
        return f"v{playbook.approved_number}"

    @admin.display(description=_("in review"), ordering="in_review")
    def pending_reviews(self, playbook):
        return playbook.in_review
