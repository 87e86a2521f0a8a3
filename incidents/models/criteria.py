from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from policy.models.types import ExitCriterion

from .incident import Incident


class IncidentCriterion(models.Model):
    """An exit criterion copied onto an incident at declaration, and its check-off."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="criteria")
    source = models.ForeignKey(
        ExitCriterion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    text = models.CharField(_("criterion"), max_length=300)
    required = models.BooleanField(_("required"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    met_at = models.DateTimeField(_("met at"), null=True, blank=True)
    met_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("met by"),
    )
    waived_at = models.DateTimeField(_("waived at"), null=True, blank=True)
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("waived by"),
    )
    waive_reason = models.TextField(_("waive reason"), blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["incident", "position", "id"]
        verbose_name = _("incident exit criterion")
        verbose_name_plural = _("incident exit criteria")

    def __str__(self):
        return self.text

    @property
    def is_met(self):
        return self.met_at is not None

    @property
    def is_waived(self):
        return self.waived_at is not None

    @property
    def is_settled(self):
        return self.is_met or self.is_waived
