"""The incident admin: what a coordinator needs to follow incidents and move them along.

Every change goes through incidents/services/: the add form declares, the change form edits
the descriptive details, the actions do the rest. `status`, the stage timestamps and the
outcome are read-only. Staff who are not superusers only reach the incidents `access` lets them
see; any other answers as missing.
"""

from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from guardian.admin import GuardedModelAdmin

from incidents import access, selectors, services
from incidents.models import Incident

from . import actions, forms
from .effort import ComplianceInline, EffortInline
from .inlines import (
    CriterionInline,
    PlanStepInline,
    PlaybookLinkInline,
    PlaybookStepInline,
    StatusUpdateInline,
    TimelineInline,
)

DEFINITION = ["affects_customers", "unplanned", "exceeds_one_hour"]
DEFINITION_HELP = _(
    "An incident negatively affects customers, was not planned and cannot be resolved within "
    "1 hour."
)


def _ensure_may_share(request):
    """Guardian lets whoever may change incidents grant access to them; only superusers may."""
    if not request.user.is_superuser:
        raise PermissionDenied


@admin.register(Incident)
class IncidentAdmin(GuardedModelAdmin):
    list_display = [
        "reference",
        "title",
        "severity_name",
        "status",
        "incident_type",
        "is_private",
        "is_drill",
        "commander",
        "declared_at",
        "last_update",
    ]
    list_display_links = ["reference", "title"]
    list_filter = [
        "status",
        "severity",
        "incident_type",
        "is_private",
        "is_drill",
        "source",
        "services",
        "declared_at",
    ]
    list_select_related = ["incident_type", "severity", "commander"]
    search_fields = ["reference", "title", "summary", "channel_name"]
    search_help_text = _("Reference, title, summary or channel name.")
    date_hierarchy = "declared_at"
    actions = actions.ALL
    inlines = [
        PlanStepInline,
        CriterionInline,
        PlaybookLinkInline,
        PlaybookStepInline,
        StatusUpdateInline,
        ComplianceInline,
        EffortInline,
        TimelineInline,
    ]
    filter_horizontal = ["invitees", "services"]

    add_form = forms.IncidentDeclareForm
    add_fieldsets = [
        (
            None,
            {
                "fields": [
                    "title",
                    "name",
                    "incident_type",
                    "severity",
                    "priority",
                    "private",
                    "is_drill",
                ]
            },
        ),
        (_("Description"), {"fields": ["summary", "impact", "services", *forms.LIST_FIELDS]}),
        (
            _("People and channels"),
            {"fields": ["commander", "responder", "invitees", "broadcast_channel"]},
        ),
        (_("Timing"), {"fields": ["impact_started_at", "detected_at"]}),
        (
            _("Definition of an incident"),
            {"description": DEFINITION_HELP, "fields": [*DEFINITION, "confirm_definition"]},
        ),
    ]
    form = forms.IncidentDetailsForm
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "reference",
                    "title",
                    "status",
                    "severity",
                    "priority",
                    "incident_type",
                    "is_private",
                    "is_drill",
                    "source",
                    "channel_name",
                ]
            },
        ),
        (_("Description"), {"fields": ["summary", "impact", "services", *forms.LIST_FIELDS]}),
        (
            _("People and channels"),
            {"fields": ["declared_by", "commander", "responder", "invitees", "broadcast_channel"]},
        ),
        (
            _("Timing"),
            {
                "fields": [
                    "impact_started_at",
                    "detected_at",
                    "declared_at",
                    "acknowledged_at",
                    "acknowledged_by",
                    "mitigated_at",
                    "resolved_at",
                    "closed_at",
                    "cancelled_at",
                ]
            },
        ),
        (_("Outcome"), {"fields": ["resolution", "cancel_reason", "duplicate_of"]}),
        (
            _("Definition of an incident"),
            {"description": DEFINITION_HELP, "fields": [*DEFINITION, "definition_override"]},
        ),
    ]
    readonly_fields = [
        field for field in flatten_fieldsets(fieldsets) if field not in services.EDITABLE_DETAILS
    ]

    def get_queryset(self, request):
        return selectors.incident_list(user=request.user)

    @admin.display(description=_("severity"), ordering="severity__rank")
    def severity_name(self, incident):
        return incident.severity.name

    @admin.display(description=_("last update"), ordering="last_update_at")
    def last_update(self, incident):
        return incident.last_update_at

    # --- permissions ----------------------------------------------------------------------

    def has_add_permission(self, request):
        return access.can_declare(request.user)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request) and (
            obj is None or access.can_view(request.user, obj)
        )

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return super().has_change_permission(request)
        return access.can_act(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # an incident is a record

    def obj_perms_manage_view(self, request, object_pk):
        _ensure_may_share(request)
        return super().obj_perms_manage_view(request, object_pk)

    def obj_perms_manage_user_view(self, request, object_pk, user_id):
        _ensure_may_share(request)
        return super().obj_perms_manage_user_view(request, object_pk, user_id)

    def obj_perms_manage_group_view(self, request, object_pk, group_id):
        _ensure_may_share(request)
        return super().obj_perms_manage_group_view(request, object_pk, group_id)

    # --- add and change forms -------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        form = super().get_form(request, obj, **kwargs)
        form.actor = request.user  # a class built for this request only
        return form

    def get_inlines(self, request, obj):
        # An incident's records, written by the services: read-only, and no part of a save.
        return self.inlines if obj is not None and request.method != "POST" else []

    def save_form(self, request, form, change):
        return form.result  # the incident the form's service call declared or updated

    def save_model(self, request, obj, form, change):
        """Nothing left to save: the service saved the incident while the form validated."""

    def save_related(self, request, form, formsets, change):
        """Nothing left to save: the service set the invitees; the inlines are read-only."""
