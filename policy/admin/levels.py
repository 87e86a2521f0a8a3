"""What the incident process agrees in advance: incident types and their exit criteria, severity
and priority levels. Plain configuration, saved as edited."""

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from policy.models import ExitCriterion, IncidentType, Priority, SeverityLevel


class ExitCriterionInline(admin.TabularInline):
    model = ExitCriterion
    fields = ["position", "text", "required"]
    ordering = ["position", "id"]
    extra = 1


@admin.register(IncidentType)
class IncidentTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "private_by_default", "is_active", "criteria_count"]
    list_filter = ["private_by_default", "is_active"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ExitCriterionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(criteria_count=Count("exit_criteria"))

    @admin.display(description=_("exit criteria"), ordering="criteria_count")
    def criteria_count(self, incident_type):
        return incident_type.criteria_count


class RankedLevelAdmin(admin.ModelAdmin):
    list_display = ["rank", "name", "description"]
    list_display_links = ["name"]
    ordering = ["rank"]
    search_fields = ["name", "description"]


@admin.register(SeverityLevel)
class SeverityLevelAdmin(RankedLevelAdmin):
    list_display = [*RankedLevelAdmin.list_display, "customer_impact"]


@admin.register(Priority)
class PriorityAdmin(RankedLevelAdmin):
    pass
