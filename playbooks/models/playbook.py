from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from catalog.models import Service
from core.models import AppendOnlyModel


class Playbook(models.Model):
    """What to do when a service breaks; one per service, optionally one per incident type."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="playbooks")
    incident_type = models.ForeignKey(
        "policy.IncidentType",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="playbooks",
        verbose_name=_("for incident type"),
        help_text=_("Empty: the service's general playbook."),
    )
    title = models.CharField(_("title"), max_length=200)

    class Meta:
        ordering = ["service__name", "title"]
        verbose_name = _("playbook")
        verbose_name_plural = _("playbooks")
        constraints = [
            models.UniqueConstraint(
                fields=["service", "incident_type"], name="playbook_unique_per_type"
            ),
            models.UniqueConstraint(
                fields=["service"],
                condition=Q(incident_type__isnull=True),
                name="playbook_one_general_per_service",
            ),
        ]

    def __str__(self):
        return self.title


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved")
    SUPERSEDED = "superseded", _("Superseded")
    REJECTED = "rejected", _("Rejected")


class PlaybookVersion(models.Model):
    """The content of a playbook at one point. Submitted or approved content never changes."""

    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"), editable=False)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=VersionStatus.choices,
        default=VersionStatus.DRAFT,
        editable=False,
    )
    content = models.TextField(_("content (Markdown)"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, editable=False)
    decided_at = models.DateTimeField(_("approved or rejected"), null=True, editable=False)
    superseded_at = models.DateTimeField(_("superseded"), null=True, editable=False)
    rejection_reason = models.TextField(_("why rejected"), blank=True, editable=False)

    class Meta:
        ordering = ["playbook", "-number"]
        verbose_name = _("playbook version")
        verbose_name_plural = _("playbook versions")
        constraints = [
            models.UniqueConstraint(fields=["playbook", "number"], name="playbook_version_number"),
            models.UniqueConstraint(
                fields=["playbook"],
                condition=Q(status="approved"),
                name="one_approved_version_per_playbook",
            ),
        ]

    def __str__(self):
        return f"{self.playbook} v{self.number}"

    @property
    def is_editable(self):
        return self.status == VersionStatus.DRAFT


class PlaybookStep(models.Model):
    version = models.ForeignKey(PlaybookVersion, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("position"))
    text = models.CharField(_("step"), max_length=300)
    expected_outcome = models.CharField(_("expected outcome"), max_length=300, blank=True)
    command = models.CharField(_("command"), max_length=500, blank=True)
    link = models.URLField(_("link"), blank=True)

    class Meta:
        ordering = ["version", "position"]
        verbose_name = _("playbook step")
        verbose_name_plural = _("playbook steps")
        constraints = [
            models.UniqueConstraint(fields=["version", "position"], name="playbook_step_position"),
        ]

    def __str__(self):
        return self.text


class PlaybookApproval(models.Model):
    version = models.ForeignKey(PlaybookVersion, on_delete=models.CASCADE, related_name="approvals")
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved"), auto_now_add=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["approved_at"]
        verbose_name = _("playbook approval")
        verbose_name_plural = _("playbook approvals")
        constraints = [
            models.UniqueConstraint(fields=["version", "approver"], name="one_approval_per_person"),
        ]

    def __str__(self):
        return f"{self.version} approved by {self.approver}"


class PlaybookEventKind(models.TextChoices):
    CREATED = "created", _("Draft created")
    EDITED = "edited", _("Draft edited")
    SUBMITTED = "submitted", _("Submitted for review")
    APPROVED = "approved", _("Approval given")
    PUBLISHED = "published", _("Approved and in force")
    SUPERSEDED = "superseded", _("Superseded")
    REJECTED = "rejected", _("Rejected")
    REOPENED = "reopened", _("Reopened as draft")
    VERIFIED = "verified", _("Verified")


class PlaybookEvent(AppendOnlyModel):
    """A playbook's history; the notifications issue delivers submissions and decisions."""

    version = models.ForeignKey(PlaybookVersion, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=12, choices=PlaybookEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)
    message = models.TextField(_("message"), blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("playbook event")
        verbose_name_plural = _("playbook events")

    def __str__(self):
        return f"{self.version} {self.kind}"
