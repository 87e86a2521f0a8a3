"""Effort entries in the admin, logged and removed through the services; an incident's policy
compliance and effort as read-only inlines on its change page.

Entries are not edited: a wrong one is removed and logged again, so the timeline tells both.
Staff see only the entries of incidents `access` lets them see.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin.actions import apply_each
from core.admin.forms import ServiceModelForm
from incidents import costing, selectors, services
from incidents.models import EffortEntry, Incident, IncidentCompliance
from incidents.services.effort import can_remove

from .inlines import RecordInline


class EffortLogForm(ServiceModelForm):
    """The add form: the signed-in user logs their own time."""

    class Meta:
        model = EffortEntry
        fields = ["incident", "function", "hours", "worked_on", "note"]

    def call_service(self):
        data = self.cleaned_data
        return services.effort_log(
            actor=self.actor,
            incident=data["incident"],
            hours=data["hours"],
            worked_on=data["worked_on"],
            function=data["function"],
            note=data["note"],
        )


@admin.register(EffortEntry)
class EffortEntryAdmin(admin.ModelAdmin):
    form = EffortLogForm
    list_display = ["worked_on", "incident_reference", "user", "function", "hours", "cost", "note"]
    list_display_links = ["worked_on", "incident_reference"]
    list_filter = [
        "worked_on",
        "function",
        "incident__severity",
        ("user", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["incident", "user", "function"]
    search_fields = ["incident__reference", "incident__title", "user__username", "note"]
    search_help_text = _("Incident reference or title, username or note.")
    date_hierarchy = "worked_on"
    autocomplete_fields = ["incident"]
    readonly_fields = ["user", "logged_at"]

    def get_queryset(self, request):
        visible = selectors.incident_list(user=request.user).values("pk")
        return super().get_queryset(request).filter(incident__in=visible)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "incident":
            kwargs["queryset"] = Incident.objects.filter(
                pk__in=selectors.incident_list(user=request.user).values("pk")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("incident"), ordering="incident__reference")
    def incident_reference(self, entry):
        return entry.incident.reference

    @admin.display(description=_("cost"))
    def cost(self, entry):
        amount = costing.rounded(
            entry.hours * costing.hourly_rate() * costing.weight_of(entry.function)
        )
        return f"{amount} {costing.currency()}"

    # --- through the services -------------------------------------------------------------

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.actor = request.user  # a class built for this request only
        return form

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["incident", "function", "hours", "worked_on", "note"]
        return ["incident", "user", "function", "hours", "worked_on", "note", "logged_at"]

    def has_change_permission(self, request, obj=None):
        return False  # remove and log again: the timeline keeps both

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        if obj is None or not allowed:
            return allowed
        return can_remove(request.user, obj)

    def save_form(self, request, form, change):
        return form.result  # the entry the form's service call logged

    def save_model(self, request, obj, form, change):
        """Nothing left to save: the service saved the entry while the form validated."""

    def save_related(self, request, form, formsets, change):
        """Nothing related to save: an entry has no many-to-many fields or inlines."""

    def delete_model(self, request, obj):
        services.effort_remove(actor=request.user, entry=obj)

    def delete_queryset(self, request, queryset):
        # No message of our own: the admin says how many entries it deleted.
        apply_each(
            self,
            request,
            queryset.select_related("incident"),
            lambda entry: services.effort_remove(actor=request.user, entry=entry),
            None,
        )


class ComplianceInline(RecordInline):
    """How the incident measured up to its policy, as the services last stored it."""

    model = IncidentCompliance
    template = "admin/edit_inline/stacked.html"
    fields = [
        "ack_target_minutes",
        "ack_minutes",
        "ack_within_target",
        "update_cadence_minutes",
        "late_updates",
        "longest_gap_minutes",
        "update_gaps_minutes",
        "postmortem_due_at",
        "postmortem_on_time",
        "computed_at",
    ]
    readonly_fields = fields
    verbose_name_plural = _("policy compliance")


class EffortInline(RecordInline):
    model = EffortEntry
    fields = ["worked_on", "user", "function", "hours", "note", "logged_at"]
    readonly_fields = fields
    related = ("user", "function")
