from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import ActorEvent

from .incident import Incident


class TimelineKind(models.TextChoices):
    DECLARED = "declared", _("Declared")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    STATUS_CHANGED = "status_changed", _("Status changed")
    SEVERITY_CHANGED = "severity_changed", _("Severity changed")
    DETAILS_CHANGED = "details_changed", _("Details changed")
    UPDATE_POSTED = "update_posted", _("Status update posted")
    CRITERION_MET = "criterion_met", _("Exit criterion met")
    CRITERION_WAIVED = "criterion_waived", _("Exit criterion waived")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")
    NOTE = "note", _("Note")
    ROLE_ASSIGNED = "role_assigned", _("Role assigned")
    SLACK_PARTICIPANTS = "slack_participants", _("Slack-only participants invited")
    ROLE_HANDED_OVER = "role_handed_over", _("Role handed over")
    STAFFING_GAP = "staffing_gap", _("Staffing gap")
    HANDOVER_DUE = "handover_due", _("Handover due")
    EFFORT_LOGGED = "effort_logged", _("Effort logged")
    PLAYBOOK_LINKED = "playbook_linked", _("Playbook linked")
    PLAYBOOK_MISSING = "playbook_missing", _("No approved playbook")
    PLAYBOOK_STEP_DONE = "playbook_step_done", _("Playbook step done")
    PLAN_STEP = "plan_step", _("Response plan step")
    DELIVERY_FAILOVER = "delivery_failover", _("Message sent by a backup method")
    DELIVERY_FAILED = "delivery_failed", _("Message could not be delivered")
    DELIVERY_RETRIED = "delivery_retried", _("Message sent again")
    UPDATE_REMINDER = "update_reminder", _("Status update reminder")
    UPDATE_ESCALATED = "update_escalated", _("Missed status update escalated")
    PAGED = "paged", _("Paged for acknowledgement")
    ESCALATION_SKIPPED = "escalation_skip", _("Skipped in an escalation")


class TimelineEvent(ActorEvent):
    """Append-only record of everything that happened to an incident."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(_("kind"), max_length=20, choices=TimelineKind.choices)
    message = models.TextField(_("message"), blank=True)
    before = models.JSONField(_("before"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(_("after"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")

    def __str__(self):
        return f"{self.incident_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"
