from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from timezone_field import TimeZoneField

# A Slack member id, as Slack writes it (U… or, across an Enterprise Grid, W…).
SLACK_USER_ID = r"\A[UW][A-Z0-9]{2,30}\Z"


class UserPreference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference"
    )
    time_zone = TimeZoneField(_("time zone"), default="UTC")
    phone = models.CharField(
        _("mobile phone"),
        max_length=20,
        blank=True,
        validators=[
            RegexValidator(
                r"^\+[1-9]\d{6,14}$", _("Use the international form, e.g. +33612345678.")
            )
        ],
        help_text=_("For SMS and voice pages, in the international form (+33612345678)."),
    )
    # Written only by slack_identity_link / slack_identity_unlink, which audit it.
    slack_user_id = models.CharField(
        _("Slack user id"),
        max_length=32,
        blank=True,
        validators=[RegexValidator(SLACK_USER_ID, _("This is not a Slack member id."))],
        help_text=_("Linked by /incident link in Slack, or found from your email address."),
    )

    class Meta:
        verbose_name = _("user preference")
        verbose_name_plural = _("user preferences")
        constraints = [
            models.UniqueConstraint(
                fields=["slack_user_id"],
                condition=~Q(slack_user_id=""),
                name="slack_user_id_linked_once",
            )
        ]

    def __str__(self):
        return f"{self.user}: {self.time_zone}"
