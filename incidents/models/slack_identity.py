from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import ActorEvent


class SlackLinkAction(models.TextChoices):
    LINKED = "linked", _("Linked")
    UNLINKED = "unlinked", _("Unlinked")


class SlackLinkMethod(models.TextChoices):
    SLACK_COMMAND = "slack_command", _("Slack command (/incident link, /incident unlink)")
    PORTAL = "portal", _("Portal preferences")
    EMAIL_MATCH = "email_match", _("Same email address as in Slack")
    ADMIN = "admin", _("Administrator")
    SEED = "seed", _("Demo data")
    UNPROVEN = "unproven", _("Cleared: typed in before links were proven")


class SlackIdentityEvent(ActorEvent):
    """Append-only audit of the Slack member id linked to a Beacon account: who linked or
    unlinked which id for whose account, how and when. A `/incident link` link's one-time
    nonce is kept on the row of the link it made, so the link works once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="slack_identity_events",
        verbose_name=_("account"),
    )
    slack_user_id = models.CharField(_("Slack user id"), max_length=32)
    action = models.CharField(_("action"), max_length=8, choices=SlackLinkAction.choices)
    method = models.CharField(_("how"), max_length=16, choices=SlackLinkMethod.choices)
    nonce = models.CharField(_("link nonce"), max_length=64, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("Slack identity event")
        verbose_name_plural = _("Slack identity events")
        constraints = [
            models.UniqueConstraint(
                fields=["nonce"], condition=~Q(nonce=""), name="slack_link_nonce_used_once"
            )
        ]

    def __str__(self):
        return f"{self.user} {self.action} {self.slack_user_id} {self.created_at:%Y-%m-%d %H:%M}"
