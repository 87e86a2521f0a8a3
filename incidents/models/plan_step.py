from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .incident import Incident


class PlanStepState(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Skipped")
    FAILED = "failed", _("Failed")


class IncidentPlanStep(models.Model):
    """A response plan step as run for one incident: automated by a task, or a checklist item."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="plan_steps")
    source = models.ForeignKey(
        "response.ResponsePlanStep", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    position = models.PositiveSmallIntegerField(_("position"))
    action = models.CharField(_("action"), max_length=20)
    title = models.CharField(_("title"), max_length=200)
    audience = models.CharField(_("audience"), max_length=12, blank=True)
    function = models.ForeignKey(
        "people.CriticalFunction", on_delete=models.PROTECT, null=True, related_name="+"
    )
    state = models.CharField(
        _("state"), max_length=8, choices=PlanStepState.choices, default=PlanStepState.PENDING
    )
    detail = models.TextField(_("detail"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["incident", "position", "id"]
        verbose_name = _("response plan step")
        verbose_name_plural = _("response plan steps")

    def __str__(self):
        return f"{self.incident_id} {self.title} ({self.state})"

    @property
    def is_manual(self):
        return self.action == "manual"
