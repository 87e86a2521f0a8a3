from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications.channels.base import ARCHIVE_CHANNEL


class NotificationEvent(models.TextChoices):
    DECLARED = "declared", _("Incident declared")
    SEVERITY_CHANGED = "severity_changed", _("Severity changed")
    UPDATE_POSTED = "update_posted", _("Status update")
    ROLE_HANDED_OVER = "role_handed_over", _("Role handed over")
    RESOLVED = "resolved", _("Incident resolved")
    CLOSED = "closed", _("Incident closed")
    CHANNEL_ARCHIVE = ARCHIVE_CHANNEL, _("Incident channel archived")
    UPDATE_REMINDER = "update_reminder", _("Status update due")
    UPDATE_ESCALATION = "update_escalation", _("Status update missed")
    PAGE = "page", _("Page")
    PLAN_MESSAGE = "plan_message", _("Response plan message")
    PLAYBOOK_SUBMITTED = "playbook_submitted", _("Playbook awaiting review")
    PLAYBOOK_DECIDED = "playbook_decided", _("Playbook review decided")
    POLICY_SIGN_OFF = "policy_sign_off", _("Policy awaiting sign-off")
    POLICY_EFFECTIVE = "policy_effective", _("Policy in force")
    SINGLE_POINT_OF_FAILURE = "spof", _("Single point of failure")


class NotificationAudience(models.TextChoices):
    """The communication plan's audiences, plus named people (reminders, pages, reviews)."""

    RESPONDERS = "responders", _("Responders")
    STAKEHOLDERS = "stakeholders", _("Stakeholders")
    EXECUTIVES = "executives", _("Executives")
    CUSTOMERS = "customers", _("Customers")
    PEOPLE = "people", _("Named people")
    DRILL = "drill", _("Drill channel")


class Notification(models.Model):
    """What to say to one audience about one event, rendered per channel when written.

    Written in the transaction of the state change it reports; its deliveries carry it out.
    """

    event = models.CharField(_("event"), max_length=20, choices=NotificationEvent.choices)
    audience = models.CharField(_("audience"), max_length=12, choices=NotificationAudience.choices)
    # What the notification is about (an incident, say), if anything: the app that owns it
    # holds the reverse relation and registers how its rows are seen (notifications/about.py).
    about_type = models.ForeignKey(
        ContentType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("about (type)"),
    )
    about_id = models.PositiveBigIntegerField(_("about (id)"), null=True, blank=True)
    about = GenericForeignKey("about_type", "about_id")
    subject = models.CharField(_("subject"), max_length=250)
    content = models.JSONField(_("rendered content per channel"), default=dict)
    methods = models.JSONField(
        _("methods in order"),
        default=list,
        help_text=_("Primary first, then the backups failed-over deliveries move on to."),
    )
    people = models.JSONField(_("people of the audience"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["about_type", "about_id"], name="notification_about")]

    def __str__(self) -> str:
        return self.subject
