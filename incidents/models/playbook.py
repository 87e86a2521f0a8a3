from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .incident import Incident


class IncidentPlaybook(models.Model):
    """The approved playbook version linked to an incident for one affected service, copied
    at declaration; no version when the service had no approved playbook."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="playbook_links")
    service = models.ForeignKey(
        "catalog.Service",
        on_delete=models.PROTECT,
        related_name="incident_links",
        verbose_name=_("service"),
    )
    version = models.ForeignKey(
        "playbooks.PlaybookVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incident_links",
        verbose_name=_("playbook version"),
    )
    linked_at = models.DateTimeField(_("linked"), auto_now_add=True)

    class Meta:
        ordering = ["incident", "service__tier", "service__name"]
        verbose_name = _("incident playbook")
        verbose_name_plural = _("incident playbooks")
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "service"], name="incident_playbook_one_per_service"
            ),
        ]

    def __str__(self):
        return f"{self.service}: {self.version or _('no approved playbook')}"


class IncidentPlaybookStep(models.Model):
    """A step of a linked playbook version, copied onto the incident as a checklist item."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="playbook_steps")
    service = models.ForeignKey(
        "catalog.Service", on_delete=models.PROTECT, related_name="+", verbose_name=_("service")
    )
    version = models.ForeignKey(
        "playbooks.PlaybookVersion",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("playbook version"),
    )
    position = models.PositiveSmallIntegerField(_("position"))
    text = models.CharField(_("step"), max_length=300)
    expected_outcome = models.CharField(_("expected outcome"), max_length=300, blank=True)
    command = models.CharField(_("command"), max_length=500, blank=True)
    link = models.URLField(_("link"), blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["incident", "service__tier", "service__name", "position"]
        verbose_name = _("incident playbook step")
        verbose_name_plural = _("incident playbook steps")
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "service", "position"], name="incident_playbook_step_position"
            ),
        ]

    def __str__(self):
        return self.text

    @property
    def is_done(self):
        return self.done_at is not None
