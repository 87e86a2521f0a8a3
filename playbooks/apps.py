from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlaybooksConfig(AppConfig):
    """Playbooks: versions, approval, verification and coverage of the catalogue."""

    name = "playbooks"
    verbose_name = _("Playbooks")
