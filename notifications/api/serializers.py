"""What the API shows of the outbox: one delivery, with the notification it carries."""

from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from notifications.models import Delivery, Notification, NotificationAudience, NotificationEvent


class DeliverySerializer(serializers.ModelSerializer[Delivery]):
    notification = serializers.PrimaryKeyRelatedField[Notification](read_only=True)
    event = serializers.ChoiceField(
        source="notification.event", choices=NotificationEvent.choices, read_only=True
    )
    audience = serializers.ChoiceField(
        source="notification.audience", choices=NotificationAudience.choices, read_only=True
    )
    subject = serializers.CharField(source="notification.subject", read_only=True)
    recipient = serializers.SlugRelatedField[User](slug_field="username", read_only=True)
    failed_over_from = serializers.PrimaryKeyRelatedField[Delivery](
        read_only=True,
        help_text=_("The delivery whose failure this one backs up; null for a primary."),
    )

    class Meta:
        model = Delivery
        fields = [
            "id",
            "notification",
            "event",
            "audience",
            "subject",
            "channel",
            "address",
            "recipient",
            "method_rank",
            "status",
            "attempts",
            "lost_attempts",
            "dead_at",
            "next_attempt_at",
            "last_error",
            "sent_at",
            "failed_over_from",
            "created_at",
        ]
        read_only_fields = fields
