from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlaybooksConfig(AppConfig):
    """Service catalogue, playbooks and response plans (issue 4 and 5 fill this app)."""

    name = "playbooks"
    verbose_name = _("Playbooks")
