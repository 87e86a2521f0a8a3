"""The broadcast channel: where Beacon can speak, and whether a chosen one still works."""

from django.conf import settings
from django.utils.translation import gettext as _
from slack_sdk.errors import SlackApiError

from notifications.channels import DeliveryError
from notifications.channels.slack import SlackWorkspace

from .client import SlackUnavailable, call


def bot_channels():
    """Channels the bot is in (where it can broadcast); the configured one first."""
    try:
        channels = SlackWorkspace().member_channels()
    except DeliveryError:
        return []
    default = settings.SLACK_BROADCAST_CHANNEL.lstrip("#")
    return sorted(channels, key=lambda c: (c["name"] != default, c["name"]))


def check_broadcast(channel_id, errors):
    if not channel_id:
        errors["broadcast"] = _("Choose the channel to broadcast in.")
        return
    try:
        channel = call("conversations_info", channel=channel_id)["channel"]
    except SlackApiError:
        errors["broadcast"] = _("This channel does not exist (any more). Choose another.")
        return
    except SlackUnavailable:
        return  # Slack is struggling: the outbox will fall back to the backup methods
    if channel.get("is_archived"):
        errors["broadcast"] = _("#%(name)s is archived. Choose another channel.") % {
            "name": channel.get("name")
        }
    elif not channel.get("is_member"):
        errors["broadcast"] = _(
            "Beacon is not in #%(name)s. Invite it there (/invite @Beacon) or choose another."
        ) % {"name": channel.get("name")}
