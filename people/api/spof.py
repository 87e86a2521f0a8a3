"""`/spof/`: single points of failure."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from core.api.query import QuerySerializer
from people.selectors import coverage, single_points_of_failure


class SpofRowSerializer(serializers.Serializer):
    function = serializers.CharField(source="function.slug", read_only=True)
    function_name = serializers.CharField(source="function.name", read_only=True)
    team = serializers.SerializerMethodField(help_text=_("A team's slug; null: the organisation."))
    scope = serializers.CharField(source="scope_label", read_only=True)
    delegates = serializers.SerializerMethodField(help_text=_("Usernames, the primary first."))
    available_now = serializers.IntegerField(read_only=True)
    fewest_available = serializers.IntegerField(
        read_only=True, help_text=_("The fewest available at any moment of the next 14 days.")
    )
    fewest_at = serializers.DateTimeField(read_only=True, help_text=_("When that is."))
    is_spof = serializers.BooleanField(read_only=True)

    def get_team(self, row) -> str | None:
        return row.team.slug if row.team else None

    def get_delegates(self, row) -> list[str]:
        return [user.get_username() for user in row.delegates]


class SpofQuerySerializer(QuerySerializer):
    all = serializers.BooleanField(
        required=False, default=False, help_text=_("Every function × scope, not only the failures.")
    )


class SpofViewSet(viewsets.ViewSet):
    """Single points of failure: fewer than two available delegates now or within 14 days."""

    @extend_schema(parameters=[SpofQuerySerializer], responses=SpofRowSerializer(many=True))
    def list(self, request):
        query = SpofQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = coverage() if query.validated_data["all"] else single_points_of_failure()
        return Response(SpofRowSerializer(rows, many=True).data)
