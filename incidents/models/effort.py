from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from people.models.function import CriticalFunction

from .incident import Incident


class EffortEntry(models.Model):
    """Time a person spent on an incident, as they logged it."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="effort")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    function = models.ForeignKey(
        CriticalFunction, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    hours = models.DecimalField(
        _("hours"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.25")), MaxValueValidator(Decimal("24"))],
    )
    worked_on = models.DateField(_("day"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    logged_at = models.DateTimeField(_("logged"), auto_now_add=True)

    class Meta:
        ordering = ["incident", "worked_on", "id"]
        verbose_name = _("effort entry")
        verbose_name_plural = _("effort entries")

    def __str__(self):
        return f"{self.incident_id} {self.user}: {self.hours}h"
