from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlackbotConfig(AppConfig):
    """The Slack front door (named so because slack_sdk ships a `slack` package of its own)."""

    name = "slackbot"
    verbose_name = _("Slack")
