"""The response's checklists on an incident: its exit criteria and its playbooks' steps."""

from rest_framework import serializers

from core.api.fields import read_only_username, text_field
from core.api.strict import InputSerializer
from incidents.models import IncidentCriterion, IncidentPlaybook, IncidentPlaybookStep


class CriterionCheckSerializer(InputSerializer):
    note = text_field(required=False)


class CriterionWaiveSerializer(InputSerializer):
    reason = text_field()


class CriterionSerializer(serializers.ModelSerializer):
    met = serializers.BooleanField(source="is_met", read_only=True)
    met_by = read_only_username()
    waived = serializers.BooleanField(source="is_waived", read_only=True)
    waived_by = read_only_username()

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


class PlaybookStepCompleteSerializer(InputSerializer):
    note = text_field(required=False)


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
    done_by = read_only_username()

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
