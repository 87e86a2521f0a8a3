from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .notification import Notification


class Channel(models.TextChoices):
    SLACK = "slack", _("Slack")
    EMAIL = "email", _("Email")
    WEBHOOK = "webhook", _("Webhook")
    TEAMS = "teams", _("Microsoft Teams")
    MATTERMOST = "mattermost", _("Mattermost")
    SMS = "sms", _("SMS")
    VOICE = "voice", _("Voice call")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED_OVER = "failed_over", _("Failed over to a backup")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    """One message to one recipient by one method; the outbox row a Celery task carries out.

    A delivery recorded as sent is never sent again. `claim_token` marks the attempt in
    flight: only the worker holding it may record the outcome, and the sweeper takes back a
    claim older than the lease (the worker died).
    """

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=500)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person"),
    )
    method_rank = models.PositiveSmallIntegerField(
        _("method"), default=0, help_text=_("0 is the primary method, 1 the first backup, …")
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=250, unique=True)
    status = models.CharField(
        _("status"), max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    lost_attempts = models.PositiveSmallIntegerField(
        _("attempts lost"),
        default=0,
        editable=False,
        help_text=_("Attempts whose worker died or hung before recording an outcome."),
    )
    dead_at = models.DateTimeField(
        _("given up"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Set when its attempts ran out without an outcome: a poison delivery."),
    )
    provider_reference = models.CharField(_("provider reference"), max_length=200, blank=True)
    # Not a column: set on the deliveries a sending batch claims (services/sending.py), the slot
    # one given back to wait for its slot comes back holding.
    kept_slot: datetime | None
    failed_over_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="failovers",
        verbose_name=_("backup for"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["notification", "method_rank", "id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "sending"]),
                name="delivery_unsent_due",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.channel} → {self.address} ({self.status})"

    @property
    def is_settled(self) -> bool:
        return self.status in (
            DeliveryStatus.SENT,
            DeliveryStatus.FAILED_OVER,
            DeliveryStatus.FAILED,
        )
