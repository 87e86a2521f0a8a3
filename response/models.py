from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import ActorEvent
from notifications.models.delivery import Channel


class PlanAudience(models.TextChoices):
    RESPONDERS = "responders", _("Responders")
    STAKEHOLDERS = "stakeholders", _("Stakeholders")
    EXECUTIVES = "executives", _("Executives")
    CUSTOMERS = "customers", _("Customers")


class StepAction(models.TextChoices):
    MANUAL = "manual", _("Manual (checklist item)")
    CREATE_CHANNEL = "create_channel", _("Create the incident channel")
    INVITE_PEOPLE = "invite_people", _("Invite people to the channel")
    BROADCAST = "broadcast", _("Broadcast the declaration")
    PAGE_FUNCTION = "page_function", _("Page a critical function")
    POST_PLAYBOOK = "post_playbook", _("Post the playbook link")
    POST_DOCUMENT = "post_document", _("Post the incident document link")
    SCHEDULE_REMINDERS = "schedule_reminders", _("Schedule status-update reminders")
    VIDEO_BRIDGE = "video_bridge", _("Start a video bridge")


class TargetKind(models.TextChoices):
    INCIDENT_CHANNEL = "incident_channel", _("The incident's channel")
    BROADCAST_CHANNEL = "broadcast_channel", _("The broadcast channel")
    EACH_PERSON = "each_person", _("Each person of the audience")
    FIXED = "fixed", _("This address")


class ResponsePlan(models.Model):
    """What runs when an incident is declared: steps, and how each audience is told.

    The most specific active plan applies: type and severity, then type, then severity,
    then the plan for every incident.
    """

    name = models.CharField(_("name"), max_length=120, unique=True)
    incident_type = models.ForeignKey(
        "policy.IncidentType",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="response_plans",
        verbose_name=_("incident type"),
        help_text=_("Empty: every type."),
    )
    severity = models.ForeignKey(
        "policy.SeverityLevel",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="response_plans",
        verbose_name=_("severity"),
        help_text=_("Empty: every severity."),
    )
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(
        _("active"),
        default=False,
        help_text=_("Only a plan whose every audience has a backup method can be active."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("response plan")
        verbose_name_plural = _("response plans")
        constraints = [
            models.UniqueConstraint(
                fields=["incident_type", "severity"],
                condition=Q(is_active=True),
                name="one_active_plan_per_scope",
                nulls_distinct=False,
            ),
        ]

    def __str__(self):
        return self.name


class PlanEventKind(models.TextChoices):
    ACTIVATED = "activated", _("Activated")
    DEACTIVATED = "deactivated", _("Deactivated")
    CREATED = "created", _("Created")
    EDITED = "edited", _("Edited")
    STEPS_CHANGED = "steps", _("Steps changed")
    METHODS_CHANGED = "methods", _("Communication methods changed")
    DELETED = "deleted", _("Deleted")


class ResponsePlanEvent(ActorEvent):
    """Who created, changed, activated, deactivated or deleted a plan, and when: the active plans
    decide who is paged. `message` says what changed; `plan_name` is the plan's name when the
    event was recorded, so that a deleted plan's history, left without its plan, still says
    which plan it was."""

    plan = models.ForeignKey(
        ResponsePlan, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    plan_name = models.CharField(_("plan"), max_length=120)
    kind = models.CharField(_("kind"), max_length=12, choices=PlanEventKind.choices)
    message = models.TextField(_("what changed"), blank=True)

    class Meta(ActorEvent.Meta):
        verbose_name = _("response plan event")
        verbose_name_plural = _("response plan events")

    def __str__(self):
        return f"{self.plan_name} {self.kind}"


class ResponsePlanStep(models.Model):
    plan = models.ForeignKey(ResponsePlan, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    action = models.CharField(_("action"), max_length=20, choices=StepAction.choices)
    title = models.CharField(_("title"), max_length=200, blank=True)
    audience = models.CharField(
        _("audience"),
        max_length=12,
        choices=PlanAudience.choices,
        blank=True,
        help_text=_("Broadcast: this audience only. Empty: the audiences the policy informs."),
    )
    function = models.ForeignKey(
        "people.CriticalFunction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("function paged"),
    )

    class Meta:
        ordering = ["plan", "position", "id"]
        verbose_name = _("response plan step")
        verbose_name_plural = _("response plan steps")

    def __str__(self):
        return self.title or self.get_action_display()


class CommunicationMethod(models.Model):
    """One way to reach an audience; rank 0 is the primary, then backups in order."""

    plan = models.ForeignKey(
        ResponsePlan, on_delete=models.CASCADE, related_name="communication_methods"
    )
    audience = models.CharField(_("audience"), max_length=12, choices=PlanAudience.choices)
    rank = models.PositiveSmallIntegerField(_("rank"), default=0)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    target = models.CharField(_("to"), max_length=20, choices=TargetKind.choices)
    address = models.CharField(
        _("address"),
        max_length=500,
        blank=True,
        help_text=_("For 'this address': a Slack channel, email, webhook URL or phone number."),
    )

    class Meta:
        ordering = ["plan", "audience", "rank", "id"]
        verbose_name = _("communication method")
        verbose_name_plural = _("communication methods")
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "audience", "rank"], name="one_method_per_rank"
            ),
        ]

    def __str__(self):
        where = self.address or self.get_target_display()
        return f"{self.get_audience_display()} #{self.rank}: {self.get_channel_display()} → {where}"
