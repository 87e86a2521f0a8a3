from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from timezone_field import TimeZoneField


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
    slack_user_id = models.CharField(
        _("Slack user id"),
        max_length=20,
        blank=True,
        help_text=_("Found from your email address when empty."),
    )

    class Meta:
        verbose_name = _("user preference")
        verbose_name_plural = _("user preferences")

    def __str__(self):
        return f"{self.user}: {self.time_zone}"
