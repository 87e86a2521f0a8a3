"""Where an incident's escalations stand on the API (the incident viewset mixes in
`EscalationActionsMixin`): `/incidents/{ref}/escalations/` GETs each escalation (the
acknowledgement one first) with its chain in words, the stage reached, who is next and when, or
why nothing more will be sent, and every round's stages: when each was sent, to whom, and who
was skipped and why.

This module imports nothing from serializers/ or views.py: views.py imports from it.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action

from core.api.fields import read_only_username
from incidents.models import EscalationNotice
from incidents.selectors_escalation import escalation_state
from policy.models import EscalationKind

SUB_LIST = {"filter_backends": [], "pagination_class": None}


class SkipSerializer(serializers.Serializer):
    name = serializers.CharField(help_text=_("Empty when nobody was found to skip."))
    reason = serializers.CharField()


class StageSentSerializer(serializers.ModelSerializer):
    recipients = read_only_username(many=True)
    skipped = SkipSerializer(many=True, read_only=True)

    class Meta:
        model = EscalationNotice
        fields = ["stage", "due_at", "sent_at", "recipients", "skipped"]
        read_only_fields = fields


class RoundSerializer(serializers.Serializer):
    round = serializers.IntegerField()
    stages = StageSentSerializer(many=True)


class EscalationSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=EscalationKind.choices)
    label = serializers.CharField()
    chain = serializers.CharField(source="description", help_text=_("The chain, in words."))
    counted_from = serializers.DateTimeField(
        source="anchor", help_text=_("The declaration, or the status update's due time.")
    )
    stage_reached = serializers.SerializerMethodField()
    next_at = serializers.DateTimeField(allow_null=True)
    next_who = serializers.CharField(allow_blank=True)
    stopped = serializers.CharField(
        allow_blank=True, help_text=_("Why nothing more will be sent; empty while it runs.")
    )
    rounds = serializers.SerializerMethodField()

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {"round": {"type": "integer"}, "stage": {"type": "integer"}},
        }
    )
    def get_stage_reached(self, state):
        reached = state.stage_reached
        return {"round": reached[0], "stage": reached[1]} if reached else None

    @extend_schema_field(RoundSerializer(many=True))
    def get_rounds(self, state):
        rounds = [{"round": number, "stages": sent} for number, sent in state.rounds.items()]
        return RoundSerializer(rounds, many=True).data


class EscalationActionsMixin:
    """Mixed into the incident viewset: uses its get_object and _render."""

    @extend_schema(responses=EscalationSerializer(many=True))
    @action(detail=True, methods=["get"], **SUB_LIST)
    def escalations(self, request, reference=None):
        """The incident's escalations, the acknowledgement one first, and where each stands."""
        return self._render(EscalationSerializer, escalation_state(self.get_object()), many=True)
