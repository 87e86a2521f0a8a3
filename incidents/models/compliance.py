from django.db import models
from django.utils.translation import gettext_lazy as _

from .incident import Incident


class IncidentCompliance(models.Model):
    """How an incident measured up to its policy; recomputed as it changes."""

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="compliance")
    ack_target_minutes = models.PositiveIntegerField(null=True)
    ack_minutes = models.FloatField(null=True)
    ack_within_target = models.BooleanField(null=True)
    update_cadence_minutes = models.PositiveIntegerField(null=True)
    update_gaps_minutes = models.JSONField(default=list)
    late_updates = models.PositiveIntegerField(default=0)
    longest_gap_minutes = models.FloatField(null=True)
    postmortem_due_at = models.DateTimeField(null=True)
    postmortem_on_time = models.BooleanField(null=True)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("policy compliance")
        verbose_name_plural = _("policy compliance")

    def __str__(self):
        return f"{self.incident_id} compliance"
