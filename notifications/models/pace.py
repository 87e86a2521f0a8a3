from django.db import models
from django.utils.translation import gettext_lazy as _

from .delivery import Channel


class ChannelPace(models.Model):
    """The next free sending slot of one address on a paced channel (Slack takes about one
    message a second per channel), shared by every worker process through the database."""

    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=500)
    next_slot_at = models.DateTimeField(_("next free slot"))

    class Meta:
        verbose_name = _("channel pace")
        verbose_name_plural = _("channel paces")
        constraints = [
            models.UniqueConstraint(fields=["channel", "address"], name="channel_pace_unique")
        ]

    def __str__(self) -> str:
        return f"{self.channel} → {self.address}: next slot {self.next_slot_at:%H:%M:%S.%f}"
