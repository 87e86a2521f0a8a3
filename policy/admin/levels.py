"""What the incident process agrees in advance: incident types and their exit criteria, severity
and priority levels. Saved and deleted through policy/services/configuration.py, which records
each change as a `ConfigurationEvent` (listed read-only below); the exit criteria are saved with
their type, by the type form's service call."""

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from core.admin.forms import DeletedByServiceAdmin, PartsAdmin, PartsFormSet, ServiceModelForm
from core.admin.read_only import ReadOnly
from policy import services
from policy.models import ConfigurationEvent, ExitCriterion, IncidentType, Priority, SeverityLevel


class IncidentTypeForm(ServiceModelForm):
    page: dict = {}  # the exit criteria's formset, set by the admin per request (PartsAdmin)

    class Meta:
        model = IncidentType
        fields = list(services.INCIDENT_TYPE_FIELDS)

    def call_service(self):
        formset = self.page.get(ExitCriterion)
        if formset is not None and not formset.is_valid():
            return self.instance  # the rows show their errors, and the admin saves nothing
        criteria = None if formset is None or not formset.has_changed() else formset.kept()
        if self.instance.pk is None:
            return services.incident_type_create(
                actor=self.actor, criteria=criteria or (), **self.cleaned_data
            )
        return services.incident_type_update(
            actor=self.actor,
            incident_type=self.instance,
            criteria=criteria,
            **{field: self.cleaned_data[field] for field in self.changed_data},
        )


class ExitCriterionInline(admin.TabularInline):
    model = ExitCriterion
    formset = PartsFormSet
    fields = list(services.CRITERION_FIELDS)
    ordering = ["position", "id"]
    extra = 1


@admin.register(IncidentType)
class IncidentTypeAdmin(PartsAdmin, DeletedByServiceAdmin, admin.ModelAdmin):
    form = IncidentTypeForm
    remove_service = staticmethod(services.incident_type_delete)
    remove_argument = "incident_type"
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


class SeverityLevelForm(ServiceModelForm):
    class Meta:
        model = SeverityLevel
        fields = list(services.SEVERITY_FIELDS)

    def call_service(self):
        if self.instance.pk is None:
            return services.severity_level_create(actor=self.actor, **self.cleaned_data)
        changes = {field: self.cleaned_data[field] for field in self.changed_data}
        return services.severity_level_update(actor=self.actor, severity=self.instance, **changes)


class PriorityForm(ServiceModelForm):
    class Meta:
        model = Priority
        fields = list(services.PRIORITY_FIELDS)

    def call_service(self):
        if self.instance.pk is None:
            return services.priority_create(actor=self.actor, **self.cleaned_data)
        changes = {field: self.cleaned_data[field] for field in self.changed_data}
        return services.priority_update(actor=self.actor, priority=self.instance, **changes)


class RankedLevelAdmin(DeletedByServiceAdmin, admin.ModelAdmin):
    list_display = ["rank", "name", "description"]
    list_display_links = ["name"]
    ordering = ["rank"]
    search_fields = ["name", "description"]


@admin.register(SeverityLevel)
class SeverityLevelAdmin(RankedLevelAdmin):
    form = SeverityLevelForm
    remove_service = staticmethod(services.severity_level_delete)
    remove_argument = "severity"
    list_display = [*RankedLevelAdmin.list_display, "customer_impact"]


@admin.register(Priority)
class PriorityAdmin(RankedLevelAdmin):
    form = PriorityForm
    remove_service = staticmethod(services.priority_delete)
    remove_argument = "priority"


@admin.register(ConfigurationEvent)
class ConfigurationEventAdmin(ReadOnly, admin.ModelAdmin):
    """The configuration's audit, written by the services only."""

    list_display = ["created_at", "actor", "kind", "about_type", "description"]
    list_filter = ["kind", "about_type"]
    list_select_related = ["actor", "about_type"]
    search_fields = ["description", "actor__username"]
    date_hierarchy = "created_at"
    fields = ["created_at", "actor", "kind", "about_type", "about_id", "description", "changes"]
    readonly_fields = fields
