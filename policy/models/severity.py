from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class RankedLevel(models.Model):
    """A configurable level where rank 1 is the most serious."""

    name = models.CharField(_("name"), max_length=20, unique=True)
    rank = models.PositiveSmallIntegerField(
        _("rank"), unique=True, validators=[MinValueValidator(1)]
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        abstract = True
        ordering = ["rank"]

    def __str__(self):
        return self.name


class SeverityLevel(RankedLevel):
    customer_impact = models.TextField(_("customer impact"), blank=True)

    class Meta(RankedLevel.Meta):
        verbose_name = _("severity level")
        verbose_name_plural = _("severity levels")


class Priority(RankedLevel):
    class Meta(RankedLevel.Meta):
        verbose_name = _("priority")
        verbose_name_plural = _("priorities")
