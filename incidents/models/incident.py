from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from people.models.team import Team
from policy.models.severity import Priority, SeverityLevel
from policy.models.types import IncidentType
from policy.models.version import Impact, PolicyVersion, Urgency


class IncidentStatus(models.TextChoices):
    DECLARED = "declared", _("Declared")
    INVESTIGATING = "investigating", _("Investigating")
    IDENTIFIED = "identified", _("Identified")
    MONITORING = "monitoring", _("Monitoring")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")

    @classmethod
    def active(cls) -> list["IncidentStatus"]:
        return [cls.DECLARED, cls.INVESTIGATING, cls.IDENTIFIED, cls.MONITORING]


class IncidentSource(models.TextChoices):
    PORTAL = "portal", _("Staff portal")
    API = "api", _("REST API")
    SLACK = "slack", _("Slack")
    ALERT = "alert", _("Alert webhook")
    ADMIN = "admin", _("Admin")


class AckVia(models.TextChoices):
    """Where an acknowledgement came from, for the timeline."""

    PORTAL = "portal", _("the staff portal")
    API = "api", _("the REST API")
    ADMIN = "admin", _("the admin")
    SLACK_BUTTON = "slack_button", _("the Slack button")
    SMS_REPLY = "sms_reply", _("an SMS reply")
    LINK = "link", _("the link in a page")


class CancelReason(models.TextChoices):
    NOT_AN_INCIDENT = "not_an_incident", _("Not an incident")
    DUPLICATE = "duplicate", _("Duplicate of another incident")


class Incident(models.Model):
    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    channel_name = models.CharField(_("channel name"), max_length=80, unique=True)
    summary = models.TextField(_("summary"), blank=True)
    impact = models.TextField(_("customer impact"), blank=True)
    incident_type = models.ForeignKey(
        IncidentType, on_delete=models.PROTECT, related_name="incidents", verbose_name=_("type")
    )
    severity = models.ForeignKey(
        SeverityLevel,
        on_delete=models.PROTECT,
        related_name="incidents",
        verbose_name=_("severity"),
    )
    priority = models.ForeignKey(
        Priority,
        on_delete=models.PROTECT,
        related_name="incidents",
        null=True,
        blank=True,
        verbose_name=_("priority"),
    )
    impact_level = models.CharField(
        _("impact level"), max_length=6, choices=Impact.choices, blank=True
    )
    urgency = models.CharField(_("urgency"), max_length=6, choices=Urgency.choices, blank=True)
    priority_override_reason = models.CharField(
        _("why the suggested priority was overridden"), max_length=300, blank=True
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="incidents",
        verbose_name=_("owning team"),
        help_text=_("Whose delegates staff the incident; empty: organisation-wide delegates."),
    )
    policy_version = models.ForeignKey(
        PolicyVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="incidents",
        verbose_name=_("response policy"),
    )
    next_update_due = models.DateTimeField(
        _("next status update due"), null=True, blank=True, editable=False, db_index=True
    )
    update_reminders = models.BooleanField(
        _("status-update reminders"),
        default=False,
        editable=False,
        help_text=_("Set by the response plan; the commander is reminded until resolution."),
    )
    # Written by the escalation batches only (services/escalation.py): when a batch of this
    # incident was queued (none is queued again meanwhile), and how long after the declaration
    # the acknowledgement escalation's next stage comes (the due query skips it until then).
    escalation_queued_at = models.DateTimeField(
        _("escalation queued"), null=True, blank=True, editable=False
    )
    ack_escalation_next = models.DurationField(
        _("next acknowledgement stage, after the declaration"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Empty until the escalations have looked at the incident."),
    )
    slack_channel_id = models.CharField(
        _("Slack channel id"), max_length=40, blank=True, editable=False
    )
    services = models.ManyToManyField(
        "catalog.Service",
        blank=True,
        related_name="incidents",
        verbose_name=_("affected services"),
    )
    environments = models.JSONField(_("environments"), default=list, blank=True)
    regions = models.JSONField(_("regions"), default=list, blank=True)
    is_private = models.BooleanField(
        _("private"),
        default=False,
        help_text=_("Visible only to people granted access (security incidents)."),
    )
    is_drill = models.BooleanField(_("drill"), default=False)
    source = models.CharField(
        _("source"), max_length=10, choices=IncidentSource.choices, default=IncidentSource.PORTAL
    )
    broadcast_channel = models.CharField(_("broadcast channel"), max_length=80, blank=True)

    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="declared_incidents",
        verbose_name=_("declared by"),
    )
    commander = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="commanded_incidents",
        verbose_name=_("commander"),
    )
    responder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="responded_incidents",
        verbose_name=_("responder"),
    )
    invitees = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="invited_incidents",
        verbose_name=_("invitees"),
    )
    # The outbox's rows about this incident; `Notification.objects.filter(incident=...)` and
    # `Delivery.objects.filter(notification__incident=...)` query through it.
    notifications = GenericRelation(
        "notifications.Notification",
        content_type_field="about_type",
        object_id_field="about_id",
        related_query_name="incident",
    )

    # The seed's definition of an incident, as answered by the declarer.
    affects_customers = models.BooleanField(_("negatively affects customers"))
    unplanned = models.BooleanField(_("was not planned"))
    exceeds_one_hour = models.BooleanField(_("cannot be resolved within 1 hour"))
    definition_override = models.BooleanField(
        _("declared although it does not meet the definition"), default=False
    )

    status = models.CharField(
        _("status"),
        max_length=20,
        choices=IncidentStatus.choices,
        default=IncidentStatus.DECLARED,
        editable=False,
    )
    impact_started_at = models.DateTimeField(_("impact started"), null=True, blank=True)
    detected_at = models.DateTimeField(_("detected"), null=True, blank=True)
    declared_at = models.DateTimeField(_("declared"), editable=False)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, editable=False)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        editable=False,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    mitigated_at = models.DateTimeField(_("mitigated"), null=True, editable=False)
    resolved_at = models.DateTimeField(_("resolved"), null=True, editable=False)
    closed_at = models.DateTimeField(_("closed"), null=True, editable=False)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, editable=False)

    resolution = models.TextField(_("resolution"), blank=True, editable=False)
    cancel_reason = models.CharField(
        _("cancel reason"), max_length=20, choices=CancelReason.choices, blank=True, editable=False
    )
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
    )

    class Meta:
        ordering = ["-declared_at"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        permissions = [("waive_exit_criterion", _("Can waive an exit criterion"))]
        indexes = [models.Index(fields=["status", "-declared_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in IncidentStatus]),
                name="incident_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.reference} {self.title}"

    @property
    def is_active(self):
        return self.status in IncidentStatus.active()

    @property
    def update_overdue(self):
        """Whether the next status update is late (needs the selectors' annotation)."""
        due = getattr(self, "next_update_due", None)
        return self.is_active and due is not None and due < timezone.now()

    @property
    def meets_definition(self):
        return self.affects_customers and self.unplanned and self.exceeds_one_hour

    @property
    def started_at(self):
        """Best known start of customer impact, for the time-to-X measures."""
        return self.impact_started_at or self.detected_at or self.declared_at

    def _since_start(self, moment):
        return moment - self.started_at if moment else None

    @property
    def time_to_detect(self):
        if self.impact_started_at and self.detected_at:
            return self.detected_at - self.impact_started_at
        return None

    @property
    def time_to_acknowledge(self):
        return self.acknowledged_at - self.declared_at if self.acknowledged_at else None

    @property
    def time_to_mitigate(self):
        return self._since_start(self.mitigated_at)

    @property
    def time_to_resolve(self):
        return self._since_start(self.resolved_at)
