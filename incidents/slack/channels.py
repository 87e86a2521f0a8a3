"""The broadcast channel: where a person may have Beacon speak, and whether a chosen one still
works. Never an incident's channel (private or not), never a private channel they are not in:
the picker would show its name, the broadcast would post where they cannot read."""

from django.conf import settings
from django.utils.translation import gettext as _
from slack_sdk.errors import SlackApiError

from incidents.services.base import incident_channels
from notifications.channels import DeliveryError
from notifications.channels.slack import SlackWorkspace

from .client import SlackUnavailable, call


def broadcast_channels(slack_user_id):
    """Channels `slack_user_id` may broadcast in, the configured one first. Asks Slack for
    their private channels only when the bot is in some; when Slack cannot tell, none."""
    workspace = SlackWorkspace()
    try:
        channels = _not_incident_channels(workspace.member_channels())
        if any(c.get("is_private") for c in channels):
            theirs = workspace.private_channel_ids(slack_user_id)
            channels = [c for c in channels if not c.get("is_private") or c["id"] in theirs]
    except DeliveryError:
        return []
    default = settings.SLACK_BROADCAST_CHANNEL.lstrip("#")
    return sorted(channels, key=lambda c: (c["name"] != default, c["name"]))


def _not_incident_channels(channels):
    """Those of `channels` that are no incident's channel, by id or by name."""
    taken = list(
        incident_channels(
            ids=[c["id"] for c in channels], names=[c.get("name", "") for c in channels]
        ).values_list("slack_channel_id", "channel_name")
    )
    ids, names = {i for i, _name in taken}, {name for _i, name in taken}
    return [c for c in channels if c["id"] not in ids and c.get("name", "") not in names]


def check_broadcast(slack_user_id, channel_id, errors):
    """The same rules as the picker, for the channel submitted (the services refuse an
    incident channel again, whichever door it comes through)."""
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
    if channel.get("is_private") and not _is_member(slack_user_id, channel_id):
        errors["broadcast"] = _("You are not in this private channel: choose one you are in.")
        return
    name = {"name": channel.get("name")}
    if channel.get("is_archived"):
        errors["broadcast"] = _("#%(name)s is archived. Choose another channel.") % name
    elif not channel.get("is_member"):
        errors["broadcast"] = (
            _("Beacon is not in #%(name)s. Invite it there (/invite @Beacon) or choose another.")
            % name
        )
    elif not _not_incident_channels([channel]):
        errors["broadcast"] = (
            _(
                "#%(name)s is an incident channel; choose the channel where the organisation hears "
                "about incidents."
            )
            % name
        )


def _is_member(slack_user_id, channel_id):
    """Whether they are in that private channel; not when Slack cannot tell."""
    try:
        return channel_id in SlackWorkspace().private_channel_ids(slack_user_id)
    except DeliveryError:
        return False
