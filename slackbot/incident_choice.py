"""Shared by the incident subcommands: which incident a request is about, the incident select,
how people and moments read in Slack."""

from collections.abc import Sequence
from datetime import datetime

from django.contrib.auth.models import User
from django.http import JsonResponse
from django.utils.translation import gettext as _
from slack_sdk.errors import SlackApiError

from core.names import display_name
from incidents import selectors
from incidents.models import Incident
from slackbot import replies
from slackbot.client import SlackUnavailable, call
from slackbot.context import SlackContext
from slackbot.forms import input_block, select
from slackbot.payload import picked
from slackbot.replies import Block, option
from slackbot.users import slack_id_of


def of_channel(ctx: SlackContext) -> Incident | None:
    """The incident whose channel the request came from, if the user may see it; else None."""
    if not ctx.channel_id:
        return None
    return selectors.incident_list(user=ctx.user).filter(slack_channel_id=ctx.channel_id).first()


def chosen(ctx: SlackContext, incident_id: object) -> Incident | None:
    """The incident picked in a select, if the user (still) may see it; else None."""
    return picked(selectors.incident_list(user=ctx.user), incident_id)


def select_options(user: User) -> list[Block]:
    """The active incidents `user` can see, as select options (Slack shows at most 100)."""
    return [
        option(f"{i.reference} {i.title}"[:75], i.pk)
        for i in selectors.incident_active_list(user=user)[:100]
    ]


def select_block(
    action_id: str, options: Sequence[Block], current: Incident | None, *, optional: bool = False
) -> Block:
    initial = next((o for o in options if current and o["value"] == str(current.pk)), None)
    return input_block(
        "incident",
        _("Incident"),
        select(action_id, options, initial=initial, placeholder=_("Choose the incident")),
        optional=optional,
    )


def person(user: User | None) -> str:
    """A mention when Beacon knows the person's Slack id, else their name."""
    if user is None:
        return _("nobody")
    slack_id = slack_id_of(user)
    return f"<@{slack_id}>" if slack_id else display_name(user)


def when(moment: datetime) -> str:
    """A moment Slack shows in the reader's own time zone."""
    fallback = f"{moment:%Y-%m-%d %H:%M} UTC"
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def open_view(ctx: SlackContext, view: Block) -> JsonResponse:
    try:
        call("views_open", trigger_id=ctx.trigger_id, view=view)
    except (SlackApiError, SlackUnavailable) as error:
        return replies.ephemeral(
            _("Slack would not open the form (%(error)s). Use the portal instead.")
            % {"error": error}
        )
    return replies.ok()
