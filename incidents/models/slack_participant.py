from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import AppendOnlyModel
from people.models.preference import SLACK_USER_ID

from .incident import Incident


class SlackParticipant(AppendOnlyModel):
    """A Slack member invited to an incident's channel who has no Beacon account: in the
    channel, with no access to Beacon. Seen only by those who may see the incident."""

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="slack_participants"
    )
    slack_user_id = models.CharField(
        _("Slack member id"),
        max_length=32,
        validators=[RegexValidator(SLACK_USER_ID, _("This is not a Slack member id."))],
    )
    name = models.CharField(_("name in Slack"), max_length=200, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("added by"),
    )
    added_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        ordering = ["added_at", "id"]
        verbose_name = _("Slack-only participant")
        verbose_name_plural = _("Slack-only participants")
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "slack_user_id"], name="slack_participant_once"
            )
        ]

    def __str__(self):
        return self.name or self.slack_user_id
