"""Status updates, notes and the timeline of an incident."""

from rest_framework import serializers

from core.api.fields import read_only_username, text_field
from core.api.strict import InputSerializer
from incidents.models import IncidentStatus, StatusUpdate, TimelineEvent


class StatusUpdateInputSerializer(InputSerializer):
    message = text_field()
    status = serializers.ChoiceField(choices=IncidentStatus.choices, required=False)


class NoteSerializer(InputSerializer):
    text = text_field()


class StatusUpdateSerializer(serializers.ModelSerializer):
    posted_by = read_only_username()

    class Meta:
        model = StatusUpdate
        fields = ["id", "message", "status", "posted_by", "posted_at", "next_update_due"]
        read_only_fields = fields


class TimelineEventSerializer(serializers.ModelSerializer):
    actor = read_only_username()

    class Meta:
        model = TimelineEvent
        fields = ["id", "kind", "actor", "created_at", "message", "before", "after"]
        read_only_fields = fields
