from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from policy.models.chain_targets import EscalationKind

from .incident import Incident


class EscalationNotice(models.Model):
    """One stage of one round of an escalation, sent once: the unique key makes it so, however
    many ticks, restarts or workers reach it. `anchor` is the declaration (acknowledgement) or
    the update's due time (updates): a new due time starts a new escalation, while an incident
    has one acknowledgement escalation whatever its anchor says."""

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="escalation_notices"
    )
    kind = models.CharField(_("escalation"), max_length=6, choices=EscalationKind.choices)
    anchor = models.DateTimeField(_("counted from"))
    round = models.PositiveSmallIntegerField(_("round"))
    stage = models.PositiveSmallIntegerField(_("stage"))
    due_at = models.DateTimeField(_("due"))
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)
    recipients = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    skipped = models.JSONField(_("skipped, with the reasons"), default=list, blank=True)

    class Meta:
        ordering = ["incident", "kind", "anchor", "round", "stage"]
        verbose_name = _("escalation notice")
        verbose_name_plural = _("escalation notices")
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "kind", "anchor", "round", "stage"],
                name="one_notice_per_stage_and_round",
            ),
            models.UniqueConstraint(
                fields=["incident", "round", "stage"],
                condition=models.Q(kind="ack"),
                name="one_acknowledgement_notice_per_stage_and_round",
            ),
        ]

    def __str__(self):
        return f"{self.incident_id} {self.kind} {self.anchor:%H:%M} r{self.round} s{self.stage}"
