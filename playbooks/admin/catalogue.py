"""Playbooks in the admin, each service's playbook coverage and the coverage report.

A playbook is added through `playbook_create`, with its first draft; its title, service and type
are then edited here as a plain record. The catalogue's own admin (catalog/admin.py) is
registered again here with the coverage columns.
"""

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Q
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from catalog.admin import ServiceAdmin
from catalog.models import Service
from core.admin.forms import SavedByServiceAdmin, ServiceModelForm
from playbooks import selectors, services
from playbooks.models import Playbook, PlaybookVersion, VersionStatus

from .versions import version_link

# Registered by the catalog app; registered again below with playbook coverage.
admin.site.unregister(Service)


class CoverageChangeList(ChangeList):
    """Attaches each listed service's coverage row, fetched in a constant number of queries."""

    def get_results(self, request):
        super().get_results(request)
        rows = {row.service.pk: row for row in selectors.coverage()}
        for service in self.result_list:
            service.coverage = rows.get(service.pk)


class PlaybookAddForm(ServiceModelForm):
    def call_service(self):
        draft = services.playbook_create(actor=self.actor, **self.cleaned_data)
        return draft.playbook


@admin.register(Service)
class ServiceCoverageAdmin(ServiceAdmin):
    """The catalogue's admin, with each service's playbook coverage and the coverage report."""

    change_list_template = "admin/playbooks/service/change_list.html"
    list_display = [*ServiceAdmin.list_display, "has_approved_playbook", "verified_and_current"]

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

    # --- the coverage report --------------------------------------------------------------

    def get_urls(self):
        coverage = self.admin_site.admin_view(self.coverage_view)
        return [
            path("coverage/", coverage, name="catalog_service_coverage"),
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
