"""The incident as the API shows it, and the inputs that change its state.

Input serializers parse what a service takes; output serializers render what it returns.
Input checks stop at the shape (types, choices, known slugs and usernames): the services own
the rules and their messages.
"""

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import Service
from core.api.fields import read_only_username, strings_field, text_field
from core.api.strict import InputSerializer
from incidents import access, costing, selectors, staffing
from incidents.api.effort import ComplianceSerializer, EffortSummarySerializer
from incidents.api.roles import IncidentRoleSerializer
from incidents.models import CancelReason, Incident, IncidentStatus, SlackParticipant
from policy import selectors as policy_selectors
from policy.models import SeverityLevel

from .response import CriterionSerializer, IncidentPlaybookSerializer, PlaybookStepSerializer

# --- Changes of state -----------------------------------------------------------------------


class StatusChangeSerializer(InputSerializer):
    status = serializers.ChoiceField(choices=IncidentStatus.choices)
    note = text_field(required=False)


class SeverityChangeSerializer(InputSerializer):
    severity = serializers.SlugRelatedField(slug_field="name", queryset=SeverityLevel.objects.all())
    reason = text_field(required=False)


class ResolveSerializer(InputSerializer):
    resolution = text_field()
    archive_channel = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_(
            "Archive the incident's Slack channel once the resolution is announced there "
            "(a delivery of the outbox, listed with the incident's deliveries)."
        ),
    )


class CancelSerializer(InputSerializer):
    reason = serializers.ChoiceField(choices=CancelReason.choices)
    duplicate_of = serializers.CharField(
        required=False,
        allow_null=True,
        help_text=_("Reference of the incident this one duplicates."),
    )
    note = text_field(required=False)

    def validate_duplicate_of(self, reference):
        if not reference:
            return None
        try:
            return selectors.incident_get(user=self.context["request"].user, reference=reference)
        except Http404:
            raise serializers.ValidationError(
                _("No incident %(ref)s.") % {"ref": reference}
            ) from None


# --- The incident ---------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.NUMBER)
class SecondsField(serializers.ReadOnlyField):
    """A duration as a number of seconds."""

    def to_representation(self, value):
        return value.total_seconds()


class ServiceRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Service
        fields = ["slug", "name", "tier"]
        read_only_fields = fields


class SlackParticipantSerializer(serializers.ModelSerializer):
    """Invited to the incident's Slack channel without a Beacon account."""

    class Meta:
        model = SlackParticipant
        fields = ["slack_user_id", "name", "added_at"]
        read_only_fields = fields


class IncidentSerializer(serializers.ModelSerializer):
    """An incident as lists show it; every field is read-only, `status` above all."""

    url = serializers.HyperlinkedIdentityField(
        view_name="api:incident-detail", lookup_field="reference"
    )
    incident_type = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    severity = serializers.SlugRelatedField(slug_field="name", read_only=True)
    priority = serializers.SlugRelatedField(slug_field="name", read_only=True)
    declared_by = read_only_username()
    commander = read_only_username()
    responder = read_only_username()
    is_active = serializers.BooleanField(read_only=True)
    last_update_at = serializers.DateTimeField(read_only=True, allow_null=True)
    next_update_due = serializers.DateTimeField(read_only=True, allow_null=True)
    update_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Incident
        fields = [
            "url",
            "reference",
            "title",
            "status",
            "is_active",
            "incident_type",
            "severity",
            "priority",
            "is_private",
            "is_drill",
            "channel_name",
            "declared_by",
            "commander",
            "responder",
            "declared_at",
            "last_update_at",
            "next_update_due",
            "update_overdue",
        ]
        read_only_fields = fields


class IncidentDetailSerializer(IncidentSerializer):
    services = ServiceRefSerializer(many=True, read_only=True)
    playbooks = IncidentPlaybookSerializer(source="playbook_links", many=True, read_only=True)
    playbook_steps = PlaybookStepSerializer(many=True, read_only=True)
    environments = strings_field(read_only=True)
    regions = strings_field(read_only=True)
    invitees = read_only_username(many=True)
    slack_participants = SlackParticipantSerializer(many=True, read_only=True)
    meets_definition = serializers.BooleanField(read_only=True)
    acknowledged_by = read_only_username()
    duplicate_of = serializers.SerializerMethodField()
    criteria = CriterionSerializer(many=True, read_only=True)
    time_to_detect = SecondsField(allow_null=True)
    time_to_acknowledge = SecondsField(allow_null=True)
    time_to_mitigate = SecondsField(allow_null=True)
    time_to_resolve = SecondsField(allow_null=True)
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    policy_version = serializers.IntegerField(
        source="policy_version.number",
        read_only=True,
        allow_null=True,
        help_text=_("The response policy version the incident runs under."),
    )
    compliance = ComplianceSerializer(read_only=True, allow_null=True)
    effort = serializers.SerializerMethodField()
    roles = serializers.SerializerMethodField(help_text=_("Who holds each critical function now."))
    staffing_gaps = serializers.SerializerMethodField(
        help_text=_("Slugs of the functions the policy requires that nobody holds.")
    )

    class Meta(IncidentSerializer.Meta):
        fields = [
            *IncidentSerializer.Meta.fields,
            "summary",
            "impact",
            "services",
            "environments",
            "regions",
            "broadcast_channel",
            "source",
            "invitees",
            "slack_participants",
            "affects_customers",
            "unplanned",
            "exceeds_one_hour",
            "definition_override",
            "meets_definition",
            "impact_started_at",
            "detected_at",
            "acknowledged_at",
            "acknowledged_by",
            "mitigated_at",
            "resolved_at",
            "closed_at",
            "cancelled_at",
            "resolution",
            "cancel_reason",
            "duplicate_of",
            "criteria",
            "playbooks",
            "playbook_steps",
            "time_to_detect",
            "time_to_acknowledge",
            "time_to_mitigate",
            "time_to_resolve",
            "impact_level",
            "urgency",
            "priority_override_reason",
            "team",
            "policy_version",
            "compliance",
            "effort",
            "roles",
            "staffing_gaps",
        ]
        read_only_fields = fields

    @extend_schema_field(IncidentRoleSerializer(many=True))
    def get_roles(self, incident):
        return IncidentRoleSerializer(staffing.current_holders(incident), many=True).data

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_staffing_gaps(self, incident):
        level = policy_selectors.policy_level(
            version=incident.policy_version, severity=incident.severity
        )
        return [function.slug for function in staffing.staffing_gaps(incident, level)]

    @extend_schema_field(EffortSummarySerializer)
    def get_effort(self, incident):
        return EffortSummarySerializer(costing.incident_effort(incident=incident)).data

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_duplicate_of(self, incident):
        # The reference of an incident the reader may not see is not theirs to learn.
        original = incident.duplicate_of
        if original is None or not access.can_view(self.context["request"].user, original):
            return None
        return original.reference
