"""The declaration's input: what `incident_declare` takes, as the API receives it."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from catalog.models import Service
from core.api.fields import strings_field, text_field
from core.api.strict import InputSerializer
from people.models import Team
from policy.models import Impact, IncidentType, Priority, SeverityLevel, Urgency

User = get_user_model()


def _username_field(**kwargs):
    return serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True), **kwargs
    )


class IncidentDeclareSerializer(InputSerializer):
    title = text_field(max_length=200)
    name = text_field(
        required=False,
        help_text=_("Channel name part: the channel is inc_<name>_<date>. Derived from the title."),
    )
    summary = text_field(required=False)
    impact = text_field(required=False)
    incident_type = serializers.SlugRelatedField(
        slug_field="slug", queryset=IncidentType.objects.all()
    )
    severity = serializers.SlugRelatedField(slug_field="name", queryset=SeverityLevel.objects.all())
    priority = serializers.SlugRelatedField(
        slug_field="name", queryset=Priority.objects.all(), required=False, allow_null=True
    )
    impact_level = serializers.ChoiceField(
        choices=Impact.choices,
        required=False,
        allow_blank=True,
        help_text=_("With urgency, the priority matrix suggests the priority."),
    )
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False, allow_blank=True)
    priority_override_reason = text_field(
        required=False,
        max_length=300,
        help_text=_("Needed when the priority differs from the matrix's suggestion."),
    )
    team = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Team.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("The owning team's slug: its delegates staff the incident."),
    )
    services = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Service.objects.all(),
        many=True,
        required=False,
        help_text=_("Slugs of the affected services: their approved playbooks are linked."),
    )
    environments = strings_field(required=False)
    regions = strings_field(required=False)
    is_private = serializers.BooleanField(
        required=False,
        allow_null=True,
        help_text=_("Leave out to follow the incident type (security incidents are private)."),
    )
    is_drill = serializers.BooleanField(required=False)
    commander = _username_field(required=False, allow_null=True)
    responder = _username_field(required=False, allow_null=True)
    invitees = _username_field(many=True, required=False)
    broadcast_channel = text_field(required=False, max_length=80)
    impact_started_at = serializers.DateTimeField(required=False, allow_null=True)
    detected_at = serializers.DateTimeField(required=False, allow_null=True)
    affects_customers = serializers.BooleanField()
    unplanned = serializers.BooleanField()
    exceeds_one_hour = serializers.BooleanField()
    confirm_definition = serializers.BooleanField(
        required=False,
        help_text=_("Declare although the answers above do not meet the definition."),
    )
