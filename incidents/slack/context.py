from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser


@dataclass
class SlackContext:
    """Who acts and where, for one Slack request (command, button or modal submission)."""

    user: AbstractBaseUser
    slack_user_id: str
    channel_id: str = ""
    trigger_id: str = ""
    language: str = "en"
    text: str = ""  # a command's arguments after the subcommand
