from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import ActorEvent

DESCRIPTION_LENGTH = 250


class PeopleEventKind(models.TextChoices):
    TEAM_CREATED = "team_created", _("Team created")
    TEAM_UPDATED = "team_updated", _("Team updated")
    MEMBER_ADDED = "member_added", _("Member added")
    MEMBER_UPDATED = "member_updated", _("Member updated")
    MEMBER_REMOVED = "member_removed", _("Member removed")
    FUNCTION_CREATED = "function_created", _("Critical function created")
    FUNCTION_UPDATED = "function_updated", _("Critical function updated")
    DELEGATION_SET = "delegation_set", _("Delegation set")
    DELEGATION_REMOVED = "delegation_removed", _("Delegation removed")
    DELEGATIONS_REORDERED = "delegations_reordered", _("Delegations reordered")
    UNAVAILABILITY_ADDED = "unavailability_added", _("Unavailability added")
    UNAVAILABILITY_UPDATED = "unavailability_updated", _("Unavailability updated")
    UNAVAILABILITY_REMOVED = "unavailability_removed", _("Unavailability removed")
    PREFERENCES_UPDATED = "preferences_updated", _("Preferences updated")


class PeopleEvent(ActorEvent):
    """Append-only audit of teams, critical functions, delegations, unavailability windows and
    people's preferences.

    The object is a generic reference, left dangling when the object is deleted (a removed
    delegation or window): `description` says in words what it was. Member events are about the
    team; a reordering is about the function.
    """

    kind = models.CharField(_("kind"), max_length=24, choices=PeopleEventKind.choices)
    about_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("about (type)")
    )
    about_id = models.PositiveBigIntegerField(_("about (id)"))
    about = GenericForeignKey("about_type", "about_id")
    description = models.CharField(_("what"), max_length=DESCRIPTION_LENGTH)
    message = models.TextField(_("message"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("people event")
        verbose_name_plural = _("people events")
        indexes = [models.Index(fields=["about_type", "about_id"], name="people_event_about")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.description} {self.created_at:%Y-%m-%d %H:%M}"
