from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .incident import Incident


class ReminderStage(models.IntegerChoices):
    COMMANDER = 1, _("Commander reminded")
    BACKUP = 2, _("Escalated to the commander's backup")
    EXECUTIVE = 3, _("Escalated to the executive")


class UpdateReminder(models.Model):
    """One reminder stage for one due status update: the unique key makes sending it once."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="reminders")
    due_at = models.DateTimeField(_("update due"))
    stage = models.PositiveSmallIntegerField(_("stage"), choices=ReminderStage.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)

    class Meta:
        ordering = ["incident", "due_at", "stage"]
        verbose_name = _("update reminder")
        verbose_name_plural = _("update reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "due_at", "stage"], name="one_reminder_per_stage"
            ),
        ]

    def __str__(self):
        return f"{self.incident_id} {self.due_at:%H:%M} stage {self.stage}"
