from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .incident import Incident, IncidentStatus


class StatusUpdate(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    message = models.TextField(_("message"))
    status = models.CharField(_("status"), max_length=20, choices=IncidentStatus.choices)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("posted by"),
    )
    posted_at = models.DateTimeField(_("posted at"), db_index=True)
    next_update_due = models.DateTimeField(_("next update due"), null=True, blank=True)

    class Meta:
        ordering = ["-posted_at", "-id"]
        get_latest_by = "posted_at"
        verbose_name = _("status update")
        verbose_name_plural = _("status updates")

    def __str__(self):
        return f"{self.incident_id} {self.posted_at:%Y-%m-%d %H:%M}"
