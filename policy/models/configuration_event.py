from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import ActorEvent

DESCRIPTION_LENGTH = 250


class ConfigurationEventKind(models.TextChoices):
    CREATED = "created", _("Created")
    UPDATED = "updated", _("Updated")
    DELETED = "deleted", _("Deleted")


class ConfigurationEvent(ActorEvent):
    """Append-only audit of the process's configuration: incident types (with their exit
    criteria), severity levels, priorities and the priority matrix's cells.

    Not a `PolicyEvent`: those belong to a policy version, these to no version. The object is a
    generic reference, left dangling once it is deleted: `description` names what it was.
    `changes` maps each field that changed (and `exit_criteria`) to its {"before", "after"}.
    """

    kind = models.CharField(_("kind"), max_length=8, choices=ConfigurationEventKind.choices)
    about_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("about (type)")
    )
    about_id = models.PositiveBigIntegerField(_("about (id)"))
    about = GenericForeignKey("about_type", "about_id")
    description = models.CharField(_("what"), max_length=DESCRIPTION_LENGTH)
    changes = models.JSONField(_("changes"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("configuration event")
        verbose_name_plural = _("configuration events")
        indexes = [
            models.Index(fields=["about_type", "about_id"], name="policy_config_event_about")
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.description} {self.created_at:%Y-%m-%d %H:%M}"
