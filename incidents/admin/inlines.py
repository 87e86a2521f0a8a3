"""An incident's records, shown on its change page and written only by the services.

`RecordInline` also serves effort.py's inlines."""

from core.admin.read_only import ReadOnlyInline
from incidents import access
from incidents.models import (
    IncidentCriterion,
    IncidentPlanStep,
    IncidentPlaybook,
    IncidentPlaybookStep,
    StatusUpdate,
    TimelineEvent,
)


class RecordInline(ReadOnlyInline):
    """An incident's records: whoever may see the incident sees these."""

    def has_view_permission(self, request, obj=None):
        # Without an incident, the records in general: the incident admin already decided.
        return obj is None or access.can_view(request.user, obj)


class CriterionInline(RecordInline):
    model = IncidentCriterion
    fields = [
        "text",
        "required",
        "met_at",
        "met_by",
        "note",
        "waived_at",
        "waived_by",
        "waive_reason",
    ]
    readonly_fields = fields
    related = ("met_by", "waived_by")


class StatusUpdateInline(RecordInline):
    model = StatusUpdate
    fields = ["posted_at", "status", "message", "posted_by", "next_update_due"]
    readonly_fields = fields
    related = ("posted_by",)


class TimelineInline(RecordInline):
    model = TimelineEvent
    fields = ["created_at", "kind", "actor", "message"]
    readonly_fields = fields
    related = ("actor",)


class PlaybookLinkInline(RecordInline):
    model = IncidentPlaybook
    fields = ["service", "version", "linked_at"]
    readonly_fields = fields
    related = ("service", "version__playbook")
    verbose_name_plural = "playbooks linked"


class PlaybookStepInline(RecordInline):
    model = IncidentPlaybookStep
    fields = ["service", "position", "text", "expected_outcome", "command", "done_at", "done_by"]
    readonly_fields = fields
    related = ("service", "done_by")


class PlanStepInline(RecordInline):
    model = IncidentPlanStep
    fields = ["position", "title", "action", "audience", "state", "detail", "done_at", "done_by"]
    readonly_fields = fields
    related = ("done_by",)
    verbose_name_plural = "response plan"
