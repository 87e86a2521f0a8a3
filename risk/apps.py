from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RiskConfig(AppConfig):
    """Risk register, matrices and AHP assessments (a later issue fills this app)."""

    name = "risk"
    verbose_name = _("Risk")
