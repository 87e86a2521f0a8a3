from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import translation
from django.utils.translation import gettext as _

from slackbot.users import beacon_user, slack_profile


@dataclass
class SlackContext:
    """Who acts and where, for one Slack request (command, button or modal submission)."""

    user: User
    slack_user_id: str
    channel_id: str = ""
    trigger_id: str = ""
    language: str = "en"
    text: str = ""  # a command's arguments after the subcommand


def member_context(
    slack_user_id: str, **where: str
) -> tuple[SlackContext, None] | tuple[None, str]:
    """(context, None) for a linked member, or (None, the reply telling how to link), in the
    member's language."""
    email, language = slack_profile(slack_user_id)
    user = beacon_user(slack_user_id, email)
    if user is not None:
        ctx = SlackContext(user=user, slack_user_id=slack_user_id, language=language, **where)
        return ctx, None
    with translation.override(language):
        return None, _(
            "Your Slack account is not linked to a Beacon user. Run `{command} link` to link it "
            "to your Beacon account (or ask an administrator to give your Beacon account the "
            "same email address as Slack: {email})."
        ).format(command=settings.SLACK_COMMAND, email=email or _("none visible to Beacon"))
