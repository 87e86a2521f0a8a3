from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .incident import Incident


class SlackDeclarationState(models.TextChoices):
    PENDING = "pending", _("pending")
    DECLARED = "declared", _("declared")
    REFUSED = "refused", _("refused")


class SlackDeclaration(models.Model):
    """A declare modal's submission, answered at once and declared by a worker: the inbox row
    the worker (or the sweep, when the task was lost) declares from, exactly once. Its view
    id is the replay guard: Slack's retries and replays answer from the row."""

    view_id = models.CharField(_("Slack view id"), max_length=32, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("declarer"),
    )
    language = models.CharField(_("language"), max_length=16, default="en")
    # `incident_declare`'s arguments: strings, booleans and primary keys.
    inputs = models.JSONField(_("declaration's input"), encoder=DjangoJSONEncoder)
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=SlackDeclarationState.choices,
        default=SlackDeclarationState.PENDING,
    )
    incident = models.ForeignKey(
        Incident,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("incident"),
    )
    refusal = models.TextField(_("refusal"), blank=True)
    # Tries that ended in an unexpected error; past BEACON_SLACK_DECLARATION_MAX_ATTEMPTS the
    # row is refused (the declarer is told) instead of being retried for ever.
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("Slack declaration")
        verbose_name_plural = _("Slack declarations")
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(state="pending"),
                name="slack_declaration_pending",
            )
        ]

    def __str__(self):
        return f"{self.view_id} ({self.state})"
