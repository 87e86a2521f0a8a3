from django.db import models
from django.utils.translation import gettext_lazy as _


class EscalationKind(models.TextChoices):
    ACKNOWLEDGE = "ack", _("Acknowledgement escalation")
    UPDATE = "update", _("Status-update escalation")


class StageTarget(models.TextChoices):
    """Who one stage of a chain tells."""

    COMMANDER = "commander", _("the commander")
    PAGED_FUNCTIONS = "paged_functions", _("the functions the level pages")
    HOLDER = "holder", _("a function's current holder")
    NEXT_DELEGATE = "next_delegate", _("the next delegate")
    EXECUTIVE = "executive", _("the executive")
