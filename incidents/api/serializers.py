"""Input serializers parse what a service takes; output serializers render what it returns.

Input checks stop at the shape (types, choices, known slugs and usernames): the services own
the rules and their messages.
"""

from django.contrib.auth import get_user_model
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.strict import InputSerializer
from incidents import access, costing, selectors, staffing
from incidents.api.roles import IncidentRoleSerializer
from incidents.models import (
    CancelReason,
    Incident,
    IncidentCriterion,
    IncidentPlaybook,
    IncidentPlaybookStep,
    IncidentStatus,
    SlackParticipant,
    StatusUpdate,
    TimelineEvent,
)
from people.models import Team
from playbooks.models import Service
from policy import selectors as policy_selectors
from policy.models import Impact, IncidentType, Priority, SeverityLevel, Urgency

from .effort import ComplianceSerializer, EffortSummarySerializer

User = get_user_model()


def _username_field(**kwargs):
    return serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True), **kwargs
    )


def _text_field(**kwargs):
    # Blank passes here so that the service answers with its own message.
    return serializers.CharField(allow_blank=True, **kwargs)


def _strings_field():
    return serializers.ListField(child=serializers.CharField(), required=False)


# --- Input ----------------------------------------------------------------------------------


class IncidentDeclareSerializer(InputSerializer):
    title = _text_field(max_length=200)
    name = _text_field(
        required=False,
        help_text=_("Channel name part: the channel is inc_<name>_<date>. Derived from the title."),
    )
    summary = _text_field(required=False)
    impact = _text_field(required=False)
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
    priority_override_reason = _text_field(
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
    environments = _strings_field()
    regions = _strings_field()
    is_private = serializers.BooleanField(
        required=False,
        allow_null=True,
        help_text=_("Leave out to follow the incident type (security incidents are private)."),
    )
    is_drill = serializers.BooleanField(required=False)
    commander = _username_field(required=False, allow_null=True)
    responder = _username_field(required=False, allow_null=True)
    invitees = _username_field(many=True, required=False)
    broadcast_channel = _text_field(required=False, max_length=80)
    impact_started_at = serializers.DateTimeField(required=False, allow_null=True)
    detected_at = serializers.DateTimeField(required=False, allow_null=True)
    affects_customers = serializers.BooleanField()
    unplanned = serializers.BooleanField()
    exceeds_one_hour = serializers.BooleanField()
    confirm_definition = serializers.BooleanField(
        required=False,
        help_text=_("Declare although the answers above do not meet the definition."),
    )


class StatusUpdateInputSerializer(InputSerializer):
    message = _text_field()
    status = serializers.ChoiceField(choices=IncidentStatus.choices, required=False)


class StatusChangeSerializer(InputSerializer):
    status = serializers.ChoiceField(choices=IncidentStatus.choices)
    note = _text_field(required=False)


class SeverityChangeSerializer(InputSerializer):
    severity = serializers.SlugRelatedField(slug_field="name", queryset=SeverityLevel.objects.all())
    reason = _text_field(required=False)


class ResolveSerializer(InputSerializer):
    resolution = _text_field()
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
    note = _text_field(required=False)

    def validate_duplicate_of(self, reference):
        if not reference:
            return None
        try:
            return selectors.incident_get(user=self.context["request"].user, reference=reference)
        except Http404:
            raise serializers.ValidationError(
                _("No incident %(ref)s.") % {"ref": reference}
            ) from None


class NoteSerializer(InputSerializer):
    text = _text_field()


class CriterionCheckSerializer(InputSerializer):
    note = _text_field(required=False)


class CriterionWaiveSerializer(InputSerializer):
    reason = _text_field()


class PlaybookStepCompleteSerializer(InputSerializer):
    note = _text_field(required=False)


# --- Output ---------------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.NUMBER)
class SecondsField(serializers.ReadOnlyField):
    """A duration as a number of seconds."""

    def to_representation(self, value):
        return value.total_seconds()


def _username(source=None, **kwargs):
    return serializers.SlugRelatedField(
        slug_field="username", read_only=True, source=source, **kwargs
    )


class CriterionSerializer(serializers.ModelSerializer):
    met = serializers.BooleanField(source="is_met", read_only=True)
    met_by = _username()
    waived = serializers.BooleanField(source="is_waived", read_only=True)
    waived_by = _username()

    class Meta:
        model = IncidentCriterion
        fields = [
            "id",
            "text",
            "required",
            "position",
            "met",
            "met_at",
            "met_by",
            "note",
            "waived",
            "waived_at",
            "waived_by",
            "waive_reason",
        ]
        read_only_fields = fields


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


class IncidentPlaybookSerializer(serializers.ModelSerializer):
    """A service's playbook as linked at declaration; `version` null: none was approved."""

    service = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    playbook = serializers.CharField(source="version.playbook.title", read_only=True, default=None)
    version = serializers.IntegerField(source="version.number", read_only=True, default=None)

    class Meta:
        model = IncidentPlaybook
        fields = ["service", "playbook", "version", "linked_at"]
        read_only_fields = fields


class PlaybookStepSerializer(serializers.ModelSerializer):
    service = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)
    done = serializers.BooleanField(source="is_done", read_only=True)
    done_by = _username()

    class Meta:
        model = IncidentPlaybookStep
        fields = [
            "id",
            "service",
            "version",
            "position",
            "text",
            "expected_outcome",
            "command",
            "link",
            "done",
            "done_at",
            "done_by",
            "note",
        ]
        read_only_fields = fields


class StatusUpdateSerializer(serializers.ModelSerializer):
    posted_by = _username()

    class Meta:
        model = StatusUpdate
        fields = ["id", "message", "status", "posted_by", "posted_at", "next_update_due"]
        read_only_fields = fields


class TimelineEventSerializer(serializers.ModelSerializer):
    actor = _username()

    class Meta:
        model = TimelineEvent
        fields = ["id", "kind", "actor", "created_at", "message", "before", "after"]
        read_only_fields = fields


class IncidentSerializer(serializers.ModelSerializer):
    """An incident as lists show it; every field is read-only, `status` above all."""

    url = serializers.HyperlinkedIdentityField(
        view_name="api:incident-detail", lookup_field="reference"
    )
    incident_type = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    severity = serializers.SlugRelatedField(slug_field="name", read_only=True)
    priority = serializers.SlugRelatedField(slug_field="name", read_only=True)
    declared_by = _username()
    commander = _username()
    responder = _username()
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
    environments = serializers.ListField(child=serializers.CharField(), read_only=True)
    regions = serializers.ListField(child=serializers.CharField(), read_only=True)
    invitees = _username(many=True)
    slack_participants = SlackParticipantSerializer(many=True, read_only=True)
    meets_definition = serializers.BooleanField(read_only=True)
    acknowledged_by = _username()
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
