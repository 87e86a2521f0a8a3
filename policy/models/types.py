from django.db import models
from django.utils.translation import gettext_lazy as _


class IncidentType(models.Model):
    """Outage, degradation, security, data loss…, with the exit criteria gating resolution."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)
    private_by_default = models.BooleanField(
        _("private by default"),
        default=False,
        help_text=_("Incidents of this type start private (security incidents)."),
    )
    is_active = models.BooleanField(_("offered at declaration"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("incident type")
        verbose_name_plural = _("incident types")

    def __str__(self):
        return self.name


class ExitCriterion(models.Model):
    incident_type = models.ForeignKey(
        IncidentType, on_delete=models.CASCADE, related_name="exit_criteria"
    )
    text = models.CharField(_("criterion"), max_length=300)
    required = models.BooleanField(_("required"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["incident_type", "position", "id"]
        verbose_name = _("exit criterion")
        verbose_name_plural = _("exit criteria")

    def __str__(self):
        return self.text
