"""Slack chores carried by the outbox like messages: written in the caller's transaction,
published after commit, retried with backoff, listed with the deliveries, sent once.

A chore is a Slack delivery whose event says what to do (channels/slack.py). Archiving a
channel waits until the messages for that channel are out (an archived channel takes none):
it is given back without spending an attempt and tried again a little later.
"""

from django.db import models
from django.utils.translation import gettext as _

from notifications.methods import Method
from notifications.models import (
    Channel,
    Delivery,
    DeliveryStatus,
    Notification,
    NotificationAudience,
    NotificationEvent,
)

from .outbox import open_next_method

# How long an archive waiting for the channel's messages waits before it looks again.
WAIT_FOR_MESSAGES_SECONDS = 5


def channel_archive_request(
    *, about: models.Model | None, channel_id: str, channel_name: str
) -> Notification:
    """Archive a Slack channel (an incident's, say) once its messages are out (after commit)."""
    subject = _("Archive #%(name)s") % {"name": channel_name}
    notification = Notification.objects.create(
        event=NotificationEvent.CHANNEL_ARCHIVE,
        audience=NotificationAudience.RESPONDERS,
        about=about,
        subject=subject,
        content={Channel.SLACK: {"text": subject}, "data": {"channel_name": channel_name}},
        methods=[Method(Channel.SLACK, "fixed", channel_id).as_dict()],
    )
    open_next_method(notification, after_rank=-1, people=[])
    return notification


def waits_for_messages(delivery: Delivery) -> bool:
    """Whether this is an archive whose channel still has messages to send."""
    notification = delivery.notification
    if notification.event != NotificationEvent.CHANNEL_ARCHIVE:
        return False
    names = [n for n in (delivery.address, notification.content["data"].get("channel_name")) if n]
    return (
        Delivery.objects.filter(
            channel=Channel.SLACK,
            address__in=names,
            status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING],
        )
        .exclude(notification__event=NotificationEvent.CHANNEL_ARCHIVE)  # never each other
        .exists()
    )
