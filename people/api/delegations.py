"""`/delegations/`: who holds a function for a scope, who holds it now and why, and reordering."""

from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.fields import FullNameField, read_only_username, username_field
from core.api.idempotent import idempotent
from core.api.query import QuerySerializer
from core.api.strict import InputSerializer
from core.names import display_name
from people import services
from people.api.base import ServiceViewSet, slug_of
from people.models import CriticalFunction, Delegation, Team, Unavailability
from people.models.delegation import ORGANISATION_FIRST
from people.selectors import delegate_for


def with_availability(queryset, at=None):
    at = at or timezone.now()
    covering = Unavailability.objects.filter(
        user=OuterRef("user"), starts_at__lte=at, ends_at__gt=at
    )
    return queryset.annotate(unavailable_now=Exists(covering))


class DelegationSerializer(serializers.ModelSerializer):
    function = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    function_name = serializers.CharField(source="function.name", read_only=True)
    team = serializers.SlugRelatedField(
        slug_field="slug",
        read_only=True,
        allow_null=True,
        help_text=_("The team's slug; null for the organisation."),
    )
    scope = serializers.SerializerMethodField()
    user = read_only_username()
    user_name = FullNameField(source="user")
    available_now = serializers.SerializerMethodField()

    class Meta:
        model = Delegation
        fields = [
            "id",
            "function",
            "function_name",
            "team",
            "scope",
            "rank",
            "user",
            "user_name",
            "available_now",
        ]
        read_only_fields = fields

    def get_scope(self, delegation) -> str:
        return delegation.team.name if delegation.team else str(_("Organisation"))

    def get_available_now(self, delegation) -> bool:
        return delegation.user.is_active and not delegation.unavailable_now


class DelegationInputSerializer(InputSerializer):
    function = slug_of(CriticalFunction)
    team = slug_of(
        Team, default=None, allow_null=True, help_text=_("Leave out for the organisation.")
    )
    user = username_field(help_text=_("Username."))
    rank = serializers.IntegerField(help_text=_("1 = primary, 2+ = backups."))


class ReorderSerializer(InputSerializer):
    function = slug_of(CriticalFunction)
    team = slug_of(Team, required=False, allow_null=True)
    users = username_field(many=True, help_text=_("Usernames, the primary first."))


class HolderQuerySerializer(QuerySerializer):
    function = slug_of(CriticalFunction, help_text=_("Function slug."))
    team = slug_of(Team, required=False, help_text=_("Team slug; the organisation when left out."))
    at = serializers.DateTimeField(required=False, help_text=_("Now when left out."))


class SkippedSerializer(serializers.Serializer):
    user = serializers.CharField(source="user.username", read_only=True)
    name = FullNameField(source="user")
    reason = serializers.CharField(read_only=True)


class HolderSerializer(serializers.Serializer):
    function = serializers.CharField(source="function.slug", read_only=True)
    team = serializers.SerializerMethodField(
        help_text=_("The scope the holder was found in: a team's slug, or null.")
    )
    user = serializers.SerializerMethodField(help_text=_("Null when nobody is available."))
    user_name = serializers.SerializerMethodField()
    rank = serializers.SerializerMethodField()
    explanation = serializers.CharField(read_only=True)
    skipped = SkippedSerializer(many=True, read_only=True)

    def get_team(self, holder) -> str | None:
        return holder.team.slug if holder.team else None

    def get_user(self, holder) -> str | None:
        return holder.user.get_username() if holder.user else None

    def get_user_name(self, holder) -> str | None:
        return display_name(holder.user) if holder.user else None

    def get_rank(self, holder) -> int | None:
        return holder.delegation.rank if holder.delegation else None


class DelegationFilter(filters.FilterSet):
    function = filters.CharFilter(field_name="function__slug", label=_("Function slug"))
    team = filters.CharFilter(field_name="team__slug", label=_("Team slug"))
    organisation = filters.BooleanFilter(
        field_name="team", lookup_expr="isnull", label=_("Organisation scope only")
    )

    class Meta:
        model = Delegation
        fields = ["function", "team", "organisation"]


class DelegationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    ServiceViewSet,
):
    serializer_class = DelegationSerializer
    filterset_class = DelegationFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return with_availability(
            Delegation.objects.select_related("function", "team", "user").order_by(
                "function__position", "function__name", ORGANISATION_FIRST, "rank"
            )
        )

    @extend_schema(request=DelegationInputSerializer, responses={201: DelegationSerializer})
    @idempotent
    def create(self, request):
        delegation = services.delegation_set(
            actor=request.user, **self._input(DelegationInputSerializer)
        )
        return self._render(delegation, status.HTTP_201_CREATED)

    @extend_schema(request=DelegationInputSerializer, responses=DelegationSerializer)
    def partial_update(self, request, pk=None):
        delegation = self.get_object()
        current = {
            "function": delegation.function,
            "team": delegation.team,
            "user": delegation.user,
            "rank": delegation.rank,
        }
        changes = self._input(DelegationInputSerializer, partial=True)
        delegation = services.delegation_set(
            actor=request.user, delegation=delegation, **{**current, **changes}
        )
        return self._render(delegation)

    def perform_destroy(self, delegation):
        services.delegation_remove(actor=self.request.user, delegation=delegation)

    @extend_schema(parameters=[HolderQuerySerializer], responses=HolderSerializer)
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def holder(self, request):
        """Who holds a function for a scope at a moment, and who was skipped and why."""
        query = self._input(HolderQuerySerializer, data=request.query_params)
        holder = delegate_for(
            function=query["function"], team=query.get("team"), at=query.get("at")
        )
        return Response(HolderSerializer(holder).data)

    @extend_schema(request=ReorderSerializer, responses=DelegationSerializer(many=True))
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    @idempotent
    def reorder(self, request):
        data = self._input(ReorderSerializer)
        services.delegations_reorder(
            actor=request.user,
            function=data["function"],
            team=data.get("team"),
            users_in_order=data["users"],
        )
        ranked = self.get_queryset().filter(function=data["function"], team=data.get("team"))
        return Response(self.get_serializer(ranked, many=True).data)
