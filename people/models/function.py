from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class IncidentRoleField(models.TextChoices):
    """The incident fields some functions fill: the current commander and responder."""

    NONE = "", _("—")
    COMMANDER = "commander", _("Incident commander")
    RESPONDER = "responder", _("Responder")


class CriticalFunction(models.Model):
    """A role that must always be staffed: incident commander, communications lead, …"""

    name = models.CharField(_("name"), max_length=80, unique=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    duties = models.TextField(_("duties"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    incident_field = models.CharField(
        _("fills the incident's"),
        max_length=10,
        choices=IncidentRoleField.choices,
        blank=True,
        help_text=_("Holding this function makes the person the incident's commander/responder."),
    )
    cost_weight = models.DecimalField(
        _("cost weight"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Multiplies the hourly rate for time spent in this function."),
    )

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("critical function")
        verbose_name_plural = _("critical functions")
        constraints = [
            models.UniqueConstraint(
                fields=["incident_field"],
                condition=~models.Q(incident_field=""),
                name="critical_function_incident_field_unique",
            ),
        ]

    def __str__(self):
        return self.name
