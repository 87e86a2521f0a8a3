from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkerHeartbeat(models.Model):
    """The last report of one part: "beat", or "worker:<queue>" from any worker consuming it
    (notifications/heartbeats.py), so /readyz can name the part that stopped."""

    name = models.CharField(_("part"), max_length=50, primary_key=True)
    last_seen = models.DateTimeField(_("last seen"))
    hostname = models.CharField(_("reported by"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_seen:%Y-%m-%d %H:%M:%S}"
