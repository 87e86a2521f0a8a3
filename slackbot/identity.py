"""`link` and `unlink`: the Slack member's side of linking their Beacon account. Both work
for a member who is not linked yet, so they take the member's id, not a SlackContext."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from core.names import display_name
from incidents import services
from incidents.models import SlackLinkMethod
from slackbot import replies
from slackbot.users import linked_user


def link(slack_user_id: str) -> JsonResponse:
    """A signed one-time link, valid ten minutes, that the member opens signed in to Beacon."""
    user = linked_user(slack_user_id)
    if user is not None:
        return replies.ephemeral(
            _(
                "Your Slack account is already linked to the Beacon account %(name)s. To link "
                "another one, run `%(command)s unlink` first."
            )
            % {"name": display_name(user), "command": settings.SLACK_COMMAND}
        )
    token = services.slack_link_token(slack_user_id)
    url = settings.BEACON_BASE_URL + reverse("portal:slack-link", args=[token])
    return replies.ephemeral(
        _(
            "Open <%(url)s|this link> while signed in to Beacon to link your Slack account to "
            "your Beacon account. It works once, within ten minutes; only you can see it."
        )
        % {"url": url}
    )


def unlink(slack_user_id: str) -> JsonResponse:
    user = linked_user(slack_user_id)
    try:
        if user is not None:
            services.slack_identity_unlink(
                user=user, method=SlackLinkMethod.SLACK_COMMAND, actor=user
            )
    except ValidationError:  # unlinked meanwhile
        user = None
    if user is None:
        return replies.ephemeral(_("Your Slack account is not linked to a Beacon account."))
    return replies.ephemeral(
        _("Your Slack account is no longer linked to the Beacon account %(name)s.")
        % {"name": display_name(user)}
    )
