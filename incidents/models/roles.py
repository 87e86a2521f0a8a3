from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from people.models.function import CriticalFunction

from .incident import Incident


class RoleAssignment(models.Model):
    """Who held a critical function on an incident, from when to when (handovers end one)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="roles")
    function = models.ForeignKey(CriticalFunction, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="incident_roles"
    )
    started_at = models.DateTimeField(_("from"))
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.CharField(_("why"), max_length=300, blank=True)
    handover_reminded_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["incident", "function__position", "started_at"]
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "function"],
                condition=Q(ended_at__isnull=True),
                name="one_current_holder_per_function",
            ),
        ]

    def __str__(self):
        return f"{self.incident_id} {self.function}: {self.user}"
