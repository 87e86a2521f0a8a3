"""`/incident <subcommand>`: each subcommand is one handler taking a SlackContext."""

from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.http import JsonResponse
from django.utils.translation import gettext as _

from slackbot import criteria, declare, identity, replies, resolve, role, status, update
from slackbot.context import SlackContext

Handler = Callable[[SlackContext], JsonResponse]
H = TypeVar("H", bound=Handler)

HANDLERS: dict[str, Handler] = {}
# These take the member's Slack id: they work before the member is linked.
FOR_ANY_MEMBER = {"link": identity.link, "unlink": identity.unlink}


def subcommand(*names: str) -> Callable[[H], H]:
    def register(handler: H) -> H:
        for name in names:
            HANDLERS[name] = handler
        return handler

    return register


def dispatch(name: str, ctx: SlackContext) -> JsonResponse:
    return HANDLERS.get(name, show_help)(ctx)


@subcommand("help")
def show_help(ctx: SlackContext) -> JsonResponse:
    command = settings.SLACK_COMMAND
    lines = [
        _("*Beacon* — incidents from Slack:"),
        _("`{c} declare` — declare an incident (also `{c} incident`)"),
        _("`{c} update` — post a status update to the broadcast channel"),
        _("`{c} resolve` — resolve the incident of this channel"),
        _("`{c} status` — this channel's incident, or every active incident"),
        _("`{c} role commander|responder|communications @person` — hand a role over"),
        _("`{c} criteria` — check off exit criteria"),
        _("`{c} link` — link your Slack account to your Beacon account"),
        _("`{c} unlink` — unlink your Slack account from your Beacon account"),
        _("`{c} help` — this help"),
    ]
    return replies.ephemeral("\n".join(line.format(c=command) for line in lines))


subcommand("declare", "incident")(declare.open_modal)
subcommand("update")(update.open_modal)
subcommand("resolve")(resolve.open_modal)
subcommand("status")(status.show)
subcommand("role")(role.hand_over)
subcommand("criteria")(criteria.show)
