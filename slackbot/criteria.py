"""`criteria`: the exit criteria of this channel's incident, with a "Mark met" button for each
unsettled one; a click checks it off through `incident_check_exit_criterion`."""

from collections.abc import Mapping

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.utils.translation import gettext as _

from core.exceptions import TransitionNotAllowed
from incidents import access, services
from incidents.models import IncidentCriterion
from notifications.rendering import slack_escaped as escaped
from slackbot import replies
from slackbot.client import tell
from slackbot.context import SlackContext
from slackbot.incident_choice import of_channel
from slackbot.payload import picked, text
from slackbot.replies import Block, section
from slackbot.replies import text as plain_text

MARK_MET = "criteria.met"


def show(ctx: SlackContext) -> JsonResponse:
    incident = of_channel(ctx)
    if incident is None:
        return replies.ephemeral(
            _("This is not an incident channel: list exit criteria in the incident's channel.")
        )
    criteria = list(incident.criteria.all())
    if not criteria:
        return replies.ephemeral(
            _("Incident %(ref)s has no exit criteria.") % {"ref": incident.reference}
        )
    heading = _("Exit criteria of *%(ref)s*:") % {"ref": incident.reference}
    buttons = incident.is_active and access.can_act(ctx.user, incident)
    blocks = [section(heading), *(_block(c, buttons) for c in criteria)]
    return replies.ephemeral(heading, blocks)


def _state(criterion: IncidentCriterion) -> str:
    if criterion.is_met:
        return _("met")
    if criterion.is_waived:
        return _("waived")
    return _("required") if criterion.required else _("optional")


def _block(criterion: IncidentCriterion, buttons: bool) -> Block:
    block = section(
        f"{'✅' if criterion.is_settled else '⬜'} {escaped(criterion.text)} ({_state(criterion)})"
    )
    if buttons and not criterion.is_settled:
        block["accessory"] = {
            "type": "button",
            "action_id": MARK_MET,
            "text": plain_text(_("Mark met")),
            "value": str(criterion.pk),
        }
    return block


def _criterion(user: User, value: str) -> IncidentCriterion | None:
    """The clicked criterion, if it exists and its incident is visible to `user`."""
    found = picked(IncidentCriterion.objects.select_related("incident"), value)
    return found if found and access.can_view(user, found.incident) else None


def act(ctx: SlackContext, action: Mapping[str, object], payload: Mapping[str, object]) -> None:
    if action["action_id"] != MARK_MET:
        return
    criterion = _criterion(ctx.user, text(action.get("value"), "action.value"))
    if criterion is None:
        tell(ctx.channel_id, ctx.slack_user_id, _("This exit criterion no longer exists."))
        return
    incident = criterion.incident
    try:
        services.incident_check_exit_criterion(
            incident=incident, actor=ctx.user, criterion_id=criterion.pk
        )
    except PermissionDenied as error:
        message = str(error)
    except ValidationError as error:
        message = " ".join(error.messages)
    except TransitionNotAllowed as error:
        message = error.message
    else:
        message = _("“%(text)s” is met in %(ref)s.") % {
            "text": escaped(criterion.text),
            "ref": incident.reference,
        }
    tell(ctx.channel_id, ctx.slack_user_id, message)
