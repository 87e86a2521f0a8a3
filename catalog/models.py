from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from core.models import ActorEvent


class Service(models.Model):
    """Something customers use, owned by a team; tier 1 is the most critical."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    owner_team = models.ForeignKey(
        "people.Team",
        on_delete=models.PROTECT,
        related_name="services",
        verbose_name=_("owner team"),
    )
    tier = models.PositiveSmallIntegerField(
        _("tier"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(3)],
        help_text=_("1 = critical, 3 = low."),
    )
    environments = models.JSONField(_("environments"), default=list, blank=True)
    regions = models.JSONField(_("regions"), default=list, blank=True)
    dependencies = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="dependents",
        verbose_name=_("depends on"),
    )
    links = models.JSONField(
        _("links"),
        default=list,
        blank=True,
        help_text=_('Dashboards, repositories…: a list of {"label": …, "url": …}.'),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["tier", "name"]
        verbose_name = _("service")
        verbose_name_plural = _("services")
        permissions = [("approve_playbook", _("Can approve this service's playbook versions"))]

    def __str__(self):
        return self.name


class ServiceUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Service, on_delete=models.CASCADE)


class ServiceGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Service, on_delete=models.CASCADE)


class CatalogEventKind(models.TextChoices):
    CREATED = "created", _("Created")
    UPDATED = "updated", _("Updated")
    DELETED = "deleted", _("Deleted")


class CatalogEvent(ActorEvent):
    """Append-only audit of a catalogue entry: who created, changed or deleted it, when, and what.

    `changes` maps each field that changed (and `dependencies`, as slugs) to its
    {"before": …, "after": …}; a creation's "before" is null, a deletion's "after". A deleted
    service's history stays, without its service: `service_name` is the service's name when the
    event was recorded, so the rows still say which service they were about.
    """

    service = models.ForeignKey(
        Service,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("service"),
    )
    service_name = models.CharField(_("service"), max_length=100)
    kind = models.CharField(_("kind"), max_length=8, choices=CatalogEventKind.choices)
    changes = models.JSONField(_("changes"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("catalogue event")
        verbose_name_plural = _("catalogue events")

    def __str__(self):
        return f"{self.service_name} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"
