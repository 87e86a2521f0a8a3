from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .playbook import PlaybookVersion


class VerificationMethod(models.TextChoices):
    DRILL = "drill", _("Drill")
    TABLETOP = "tabletop", _("Tabletop exercise")
    TEST = "test", _("Automated or manual test")
    INCIDENT = "incident", _("Used in a real incident")


class VerificationOutcome(models.TextChoices):
    PASSED = "passed", _("Worked as written")
    FAILED = "failed", _("Did not work")


class Verification(models.Model):
    """Evidence that an approved version was exercised and worked."""

    version = models.ForeignKey(
        PlaybookVersion, on_delete=models.CASCADE, related_name="verifications"
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(_("exercised on"))
    method = models.CharField(_("how"), max_length=10, choices=VerificationMethod.choices)
    outcome = models.CharField(_("outcome"), max_length=10, choices=VerificationOutcome.choices)
    evidence = models.TextField(_("evidence"), help_text=_("What was run and what it showed."))
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["-verified_at"]
        verbose_name = _("verification")
        verbose_name_plural = _("verifications")

    def __str__(self):
        return f"{self.version} {self.outcome} {self.verified_at:%Y-%m-%d}"
