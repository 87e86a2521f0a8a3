"""The response policy the organisation agrees on, versioned: one effective version at a time."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import ActorEvent
from people.models.function import CriticalFunction
from people.models.team import Team

from .severity import Priority, SeverityLevel


class PolicyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    EFFECTIVE = "effective", _("Effective")
    SUPERSEDED = "superseded", _("Superseded")


class Audience(models.TextChoices):
    RESPONDERS = "responders", _("Responders")
    STAKEHOLDERS = "stakeholders", _("Stakeholders")
    EXECUTIVES = "executives", _("Executives")
    CUSTOMERS = "customers", _("Customers")


class StaffingModel(models.TextChoices):
    ROUND_THE_CLOCK = "24x7", _("24/7 until resolved")
    BUSINESS_HOURS = "business_hours", _("Business hours")


class PolicyVersion(models.Model):
    number = models.PositiveIntegerField(_("version"), unique=True, editable=False)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=PolicyStatus.choices,
        default=PolicyStatus.DRAFT,
        editable=False,
    )
    summary = models.TextField(_("what changed"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, editable=False)
    effective_at = models.DateTimeField(_("effective from"), null=True, editable=False)
    superseded_at = models.DateTimeField(_("superseded"), null=True, editable=False)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("response policy version")
        verbose_name_plural = _("response policy versions")
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="effective"), name="one_effective_policy"
            ),
        ]

    def __str__(self):
        return _("Response policy v%(number)s") % {"number": self.number}

    @property
    def is_editable(self):
        return self.status == PolicyStatus.DRAFT


class PolicyLevel(models.Model):
    """What one severity level demands, in one policy version."""

    version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="levels")
    severity = models.ForeignKey(
        SeverityLevel, on_delete=models.PROTECT, related_name="+", verbose_name=_("severity")
    )
    ack_target_minutes = models.PositiveIntegerField(
        _("acknowledge within (minutes)"), validators=[MinValueValidator(1)]
    )
    update_cadence_minutes = models.PositiveIntegerField(
        _("status update every (minutes)"), default=30, validators=[MinValueValidator(1)]
    )
    page_wait_limit_minutes = models.PositiveIntegerField(
        _("a page waits for a provider at most (minutes)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_(
            "A provider asking a page to wait longer (Retry-After) makes it fail over to its "
            "next method at once. Blank: the acknowledgement target."
        ),
    )
    paged_functions = models.ManyToManyField(
        CriticalFunction, blank=True, related_name="+", verbose_name=_("functions paged")
    )
    audiences = models.JSONField(_("audiences informed"), default=list, blank=True)
    staffing_model = models.CharField(
        _("staffing"),
        max_length=16,
        choices=StaffingModel.choices,
        default=StaffingModel.ROUND_THE_CLOCK,
    )
    max_continuous_hours = models.PositiveSmallIntegerField(
        _("maximum continuous hours per responder"), default=8, validators=[MinValueValidator(1)]
    )
    expected_people = models.PositiveSmallIntegerField(
        _("people expected"), default=2, validators=[MinValueValidator(1)]
    )
    postmortem_required = models.BooleanField(_("postmortem required"), default=True)
    postmortem_due_days = models.PositiveSmallIntegerField(
        _("postmortem due in (days)"), default=5, validators=[MinValueValidator(1)]
    )
    followup_priority = models.ForeignKey(
        Priority,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("follow-up priority"),
    )
    followup_due_days = models.PositiveSmallIntegerField(
        _("follow-ups due in (days)"), default=14, validators=[MinValueValidator(1)]
    )
    inform_leadership = models.BooleanField(_("leadership informed"), default=False)
    # The chains: ordered stages [{"after_minutes": 0, "notify": "commander"}, ...]
    # (policy/chains.py reads, checks and describes them; an empty chain takes the default).
    ack_chain = models.JSONField(_("acknowledgement escalation"), default=list, blank=True)
    ack_repeat_minutes = models.PositiveIntegerField(
        _("acknowledgement escalation repeats after (minutes)"),
        default=15,
        validators=[MinValueValidator(1)],
    )
    ack_rounds = models.PositiveSmallIntegerField(
        _("acknowledgement escalation rounds"), default=3, validators=[MinValueValidator(1)]
    )
    update_chain = models.JSONField(_("status-update escalation"), default=list, blank=True)
    update_repeat_minutes = models.PositiveIntegerField(
        _("status-update escalation repeats after (minutes)"),
        default=10,
        validators=[MinValueValidator(1)],
    )

    class Meta:
        ordering = ["version", "severity__rank"]
        verbose_name = _("policy level")
        verbose_name_plural = _("policy levels")
        constraints = [
            models.UniqueConstraint(fields=["version", "severity"], name="policy_level_unique"),
        ]

    def __str__(self):
        return f"{self.version} · {self.severity}"

    @property
    def page_wait_limit(self):
        """How long a page of this severity may wait for a provider, in seconds."""
        return 60 * (self.page_wait_limit_minutes or self.ack_target_minutes)


class PolicySignOff(models.Model):
    """A lead's approval of a version on behalf of their team."""

    version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="sign_offs")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(_("signed"), auto_now_add=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["signed_at"]
        verbose_name = _("policy sign-off")
        verbose_name_plural = _("policy sign-offs")
        constraints = [
            models.UniqueConstraint(fields=["version", "team"], name="policy_sign_off_unique"),
        ]

    def __str__(self):
        return f"{self.version}: {self.team} by {self.user}"


class PolicyEventKind(models.TextChoices):
    CREATED = "created", _("Draft created")
    EDITED = "edited", _("Draft edited")
    LEVEL_SET = "level_set", _("Level set")
    SUBMITTED = "submitted", _("Submitted for sign-off")
    SIGNED_OFF = "signed_off", _("Signed off")
    REJECTED = "rejected", _("Rejected")
    EFFECTIVE = "effective", _("Became effective")
    SUPERSEDED = "superseded", _("Superseded")


class PolicyEvent(ActorEvent):
    """Append-only audit of a version: who changed, submitted, signed, rejected it, and when.

    A rejection clears the sign-offs; its event keeps who had signed and the reason.
    """

    version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=12, choices=PolicyEventKind.choices)
    message = models.TextField(_("message"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("policy event")
        verbose_name_plural = _("policy events")

    def __str__(self):
        return f"{self.version} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"


class Impact(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class Urgency(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class PriorityMatrixCell(models.Model):
    """ITIL-style grid: impact × urgency suggests a priority at declaration."""

    impact = models.CharField(_("impact"), max_length=6, choices=Impact.choices)
    urgency = models.CharField(_("urgency"), max_length=6, choices=Urgency.choices)
    priority = models.ForeignKey(Priority, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("priority matrix cell")
        verbose_name_plural = _("priority matrix")
        constraints = [
            models.UniqueConstraint(fields=["impact", "urgency"], name="priority_matrix_unique"),
        ]

    def __str__(self):
        return f"{self.get_impact_display()} × {self.get_urgency_display()} → {self.priority}"
