from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incidents.models.incident import Incident


class SlackDeclarationState(models.TextChoices):
    PENDING = "pending", _("pending")
    DECLARED = "declared", _("declared")
    REFUSED = "refused", _("refused")


class SlackDeclaration(models.Model):
    """A declare modal's submission, stored as Slack sent it and answered at once; a worker
    (or the sweep, when the task was lost) checks and declares from it, exactly once. Its
    view id and hash are the replay guard: Slack's retries and replays answer from the row.
    A submission refused for its fields shows the form again; its next submission (a new
    hash) is a new row."""

    view_id = models.CharField(_("Slack view id"), max_length=32)
    view_hash = models.CharField(_("Slack view hash"), max_length=64, blank=True)
    slack_user_id = models.CharField(_("Slack member id"), max_length=32)
    # The member's Beacon account, found by the worker.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("declarer"),
    )
    language = models.CharField(_("language"), max_length=16, default="en")
    # The submitted view's `state.values`, as Slack sent them.
    answers = models.JSONField(_("answers"), encoder=DjangoJSONEncoder)
    # Block id → message: the fields the worker refused (the form is shown again with them).
    errors = models.JSONField(_("field errors"), default=dict, blank=True)
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
        constraints = [
            models.UniqueConstraint(
                fields=["view_id", "view_hash"], name="slack_declaration_once_per_view_state"
            ),
            models.UniqueConstraint(
                fields=["view_id"],
                condition=models.Q(state="pending"),
                name="slack_declaration_one_pending_per_view",
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(state="pending"),
                name="slack_declaration_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.view_id} ({self.state})"
