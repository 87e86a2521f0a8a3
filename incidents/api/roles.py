"""The incident detail's `roles` and the input of `/incidents/{ref}/roles/handover/`."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.api.fields import FullNameField, read_only_username, username_field
from core.api.strict import InputSerializer
from incidents.models import RoleAssignment
from people.models import CriticalFunction


class IncidentRoleSerializer(serializers.ModelSerializer):
    """A current holder of a critical function on an incident."""

    function = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    function_name = serializers.CharField(source="function.name", read_only=True)
    user = read_only_username()
    user_name = FullNameField(source="user")
    since = serializers.DateTimeField(source="started_at", read_only=True)

    class Meta:
        model = RoleAssignment
        fields = ["function", "function_name", "user", "user_name", "since", "reason"]
        read_only_fields = fields


class HandoverSerializer(InputSerializer):
    function = serializers.SlugRelatedField(
        slug_field="slug", queryset=CriticalFunction.objects.all()
    )
    to_user = username_field(help_text=_("Username of the person taking the function over."))
    note = serializers.CharField(required=False, allow_blank=True)
