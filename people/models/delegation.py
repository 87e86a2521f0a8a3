from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .function import CriticalFunction
from .team import Team

# Organisation scope (no team) first on every database: PostgreSQL sorts NULL last.
ORGANISATION_FIRST = models.F("team__name").asc(nulls_first=True)


class Delegation(models.Model):
    """A person holding a critical function for a scope: the whole organisation or one team.

    Rank 1 is the primary; 2, 3, … are the ordered backups.
    """

    function = models.ForeignKey(
        CriticalFunction,
        on_delete=models.CASCADE,
        related_name="delegations",
        verbose_name=_("function"),
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="delegations",
        verbose_name=_("team"),
        help_text=_("Empty: the whole organisation."),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="delegations",
        verbose_name=_("delegate"),
    )
    rank = models.PositiveSmallIntegerField(
        _("rank"), validators=[MinValueValidator(1)], help_text=_("1 = primary, 2+ = backups.")
    )

    class Meta:
        ordering = ["function__position", ORGANISATION_FIRST, "rank"]
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")
        constraints = [
            models.UniqueConstraint(
                fields=["function", "team", "rank"], name="delegation_rank_unique_in_team"
            ),
            models.UniqueConstraint(
                fields=["function", "rank"],
                condition=Q(team__isnull=True),
                name="delegation_rank_unique_in_org",
            ),
            models.UniqueConstraint(
                fields=["function", "team", "user"], name="delegation_user_unique_in_team"
            ),
            models.UniqueConstraint(
                fields=["function", "user"],
                condition=Q(team__isnull=True),
                name="delegation_user_unique_in_org",
            ),
        ]

    def __str__(self):
        return f"{self.function} #{self.rank}: {self.user}"


class UnavailabilityReason(models.TextChoices):
    HOLIDAY = "holiday", _("Holiday")
    SICK = "sick", _("Sick")
    OFF_SHIFT = "off_shift", _("Off shift")
    OTHER = "other", _("Other")


class Unavailability(models.Model):
    """A window in which a person cannot be called on; the next delegate stands in."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="unavailabilities",
        verbose_name=_("person"),
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=10, choices=UnavailabilityReason.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("unavailability")
        verbose_name_plural = _("unavailabilities")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="unavailability_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["user", "starts_at", "ends_at"])]

    def __str__(self):
        return f"{self.user}: {self.get_reason_display()} {self.starts_at:%Y-%m-%d}"
