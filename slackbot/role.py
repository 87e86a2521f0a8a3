"""`role <function> @person`: hand a critical function over in the incident of this channel."""

import re

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import JsonResponse
from django.utils.translation import gettext as _

from core.exceptions import TransitionNotAllowed
from incidents import services
from people.models import CriticalFunction
from slackbot import replies
from slackbot.context import SlackContext
from slackbot.incident_choice import of_channel
from slackbot.users import beacon_user

# Slack sends a mention as <@U123> or <@U123|name>.
MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


def hand_over(ctx: SlackContext) -> JsonResponse:
    word, _sep, who = ctx.text.strip().partition(" ")
    mention = MENTION.match(who.strip())
    if not word or mention is None:
        return replies.ephemeral(
            _("Use: `%(command)s role commander|responder|communications @person`.")
            % {"command": settings.SLACK_COMMAND}
        )
    incident = of_channel(ctx)
    if incident is None:
        return replies.ephemeral(
            _("This is not an incident channel: hand roles over in the incident's channel.")
        )
    function = _function(word.lower())
    if function is None:
        return replies.ephemeral(
            _("There is no role “%(name)s”. The roles are: %(roles)s.")
            % {"name": word, "roles": ", ".join(_role_names())}
        )
    slack_id = mention.group(1)
    to_user = beacon_user(slack_id)
    if to_user is None:
        return replies.ephemeral(
            _("<@%(id)s> has no Beacon account linked to Slack.") % {"id": slack_id}
        )
    try:
        services.incident_hand_over_role(
            incident=incident, actor=ctx.user, function=function, to_user=to_user
        )
    except PermissionDenied as error:
        return replies.ephemeral(str(error))
    except ValidationError as error:
        return replies.ephemeral(" ".join(error.messages))
    except TransitionNotAllowed as error:
        return replies.ephemeral(error.message)
    return replies.ephemeral(
        _("<@%(id)s> is now %(function)s of %(ref)s.")
        % {"id": slack_id, "function": function.name, "ref": incident.reference}
    )


def _function(word: str) -> CriticalFunction | None:
    """An active function by the incident field it fills, its slug, or its slug's first word
    ("communications" for "communications-lead") when only one slug starts so."""
    active = CriticalFunction.objects.filter(is_active=True)
    exact = active.filter(Q(incident_field=word) | Q(slug=word)).first()
    if exact is not None:
        return exact
    prefixed = list(active.filter(slug__startswith=f"{word}-")[:2])
    return prefixed[0] if len(prefixed) == 1 else None


def _role_names() -> list[str]:
    functions = CriticalFunction.objects.filter(is_active=True)
    return [f.incident_field or f.slug for f in functions]
