"""`ack`: the "Acknowledge" button of a page in Slack. The clicking member acknowledges as their
linked Beacon account, with that account's rights; the answer is an ephemeral note."""

from collections.abc import Mapping

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from core.exceptions import TransitionNotAllowed
from incidents import access, services
from incidents.models import AckVia, Incident
from incidents.services.announce import ACK_BUTTON
from slackbot.client import tell
from slackbot.context import SlackContext
from slackbot.payload import picked, text


def _incident(user: User, value: str) -> Incident | None:
    """The page's incident, if it exists and `user` may see it."""
    found = picked(Incident.objects.all(), value)
    return found if found and access.can_view(user, found) else None


def act(ctx: SlackContext, action: Mapping[str, object], payload: Mapping[str, object]) -> None:
    if action["action_id"] != ACK_BUTTON:
        return
    incident = _incident(ctx.user, text(action.get("value"), "action.value"))
    if incident is None:
        tell(ctx.channel_id, ctx.slack_user_id, _("This incident no longer exists."))
        return
    try:
        services.incident_acknowledge(incident=incident, actor=ctx.user, via=AckVia.SLACK_BUTTON)
    except PermissionDenied as error:
        message = str(error)
    except TransitionNotAllowed as error:
        message = error.message
    else:
        message = _("You acknowledged %(ref)s.") % {"ref": incident.reference}
    tell(ctx.channel_id, ctx.slack_user_id, message)
