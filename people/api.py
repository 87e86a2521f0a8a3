"""Teams, critical functions, delegations, unavailability and single points of failure.

- `/teams/` (by slug; POST/PATCH; `/teams/{slug}/members/` POST, `…/members/{username}/`
  DELETE), `/critical-functions/` (by slug; POST/PATCH).
- `/delegations/` (filter by `function` and `team` slug, or `organisation=true`; POST, PATCH,
  DELETE), `/delegations/holder/?function=&team=&at=` who holds a function and why,
  `/delegations/reorder/` POST.
- `/unavailability/`: anyone may add or remove their own windows.
- `/spof/`: the function × scope pairs with fewer than two available delegates now or within
  the next 14 days; `?all=true` for the whole coverage.

Reads are open to every signed-in user; the services decide who may write.
"""

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.fields import FullNameField, username_field
from core.api.idempotent import idempotent
from core.api.query import QuerySerializer
from core.api.strict import InputSerializer, StrictTypes
from core.names import display_name
from people import services
from people.models import (
    CriticalFunction,
    Delegation,
    IncidentRoleField,
    Team,
    TeamMembership,
    Unavailability,
    UnavailabilityReason,
)
from people.models.delegation import ORGANISATION_FIRST
from people.selectors import coverage, delegate_for, single_points_of_failure

User = get_user_model()
USERNAME = OpenApiParameter("username", str, OpenApiParameter.PATH)


def _slug_of(model, **kwargs):
    return serializers.SlugRelatedField(slug_field="slug", queryset=model.objects.all(), **kwargs)


class ServiceViewSet(viewsets.GenericViewSet):
    def _input(self, serializer_class, data=None, **kwargs):
        serializer = serializer_class(
            data=self.request.data if data is None else data,
            context=self.get_serializer_context(),
            **kwargs,
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _render(self, instance, status_code=status.HTTP_200_OK):
        # Re-read through the queryset: the service's copy lacks the annotations and prefetches.
        instance = self.get_queryset().get(pk=instance.pk)
        return Response(self.get_serializer(instance).data, status=status_code)


# --- Teams ----------------------------------------------------------------------------------


class MemberSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    name = FullNameField(source="user")

    class Meta:
        model = TeamMembership
        fields = ["username", "name", "is_lead"]
        read_only_fields = fields


class TeamSerializer(serializers.ModelSerializer):
    members = MemberSerializer(source="memberships", many=True, read_only=True)

    class Meta:
        model = Team
        fields = ["name", "slug", "description", "signs_off_policy", "members"]
        read_only_fields = fields


class TeamInputSerializer(InputSerializer):
    name = serializers.CharField(allow_blank=True, max_length=100)
    slug = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text=_("Derived from the name when left out."),
    )
    description = serializers.CharField(required=False, allow_blank=True)
    signs_off_policy = serializers.BooleanField(required=False)


class MemberInputSerializer(InputSerializer):
    user = username_field(help_text=_("Username."))
    is_lead = serializers.BooleanField(required=False, default=False)


class TeamViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ServiceViewSet):
    lookup_field = "slug"
    serializer_class = TeamSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        members = TeamMembership.objects.select_related("user").order_by(
            "-is_lead", "user__username"
        )
        return Team.objects.prefetch_related(Prefetch("memberships", queryset=members))

    @extend_schema(request=TeamInputSerializer, responses={201: TeamSerializer})
    @idempotent
    def create(self, request):
        team = services.team_create(actor=request.user, **self._input(TeamInputSerializer))
        return self._render(team, status.HTTP_201_CREATED)

    @extend_schema(request=TeamInputSerializer, responses=TeamSerializer)
    def partial_update(self, request, slug=None):
        changes = self._input(TeamInputSerializer, partial=True)
        team = services.team_update(actor=request.user, team=self.get_object(), **changes)
        return self._render(team)

    @extend_schema(request=MemberInputSerializer, responses={201: TeamSerializer})
    @action(detail=True, methods=["post"])
    @idempotent
    def members(self, request, slug=None):
        team = self.get_object()
        services.team_member_add(
            actor=request.user, team=team, **self._input(MemberInputSerializer)
        )
        return self._render(team, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None}, parameters=[USERNAME])
    @action(detail=True, methods=["delete"], url_path=r"members/(?P<username>[^/]+)")
    def remove_member(self, request, slug=None, username=None):
        team = self.get_object()
        user = get_object_or_404(User, username=username)
        services.team_member_remove(actor=request.user, team=team, user=user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Critical functions ---------------------------------------------------------------------


class CriticalFunctionSerializer(serializers.ModelSerializer):
    class Meta:
        model = CriticalFunction
        fields = list(services.FUNCTION_FIELDS)
        read_only_fields = fields


class CriticalFunctionInputSerializer(StrictTypes, serializers.ModelSerializer):
    # Blank passes here so that the service answers with its own message.
    name = serializers.CharField(allow_blank=True, max_length=80)
    slug = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=80,
        help_text=_("Derived from the name when left out."),
    )

    incident_field = serializers.ChoiceField(
        choices=IncidentRoleField.choices, required=False, allow_blank=True
    )

    class Meta:
        model = CriticalFunction
        fields = list(services.FUNCTION_FIELDS)

    def get_validators(self):
        return []  # the service refuses duplicates with its own words


class CriticalFunctionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ServiceViewSet):
    lookup_field = "slug"
    queryset = CriticalFunction.objects.all()
    serializer_class = CriticalFunctionSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    @extend_schema(
        request=CriticalFunctionInputSerializer, responses={201: CriticalFunctionSerializer}
    )
    @idempotent
    def create(self, request):
        function = services.critical_function_create(
            actor=request.user, **self._input(CriticalFunctionInputSerializer)
        )
        return self._render(function, status.HTTP_201_CREATED)

    @extend_schema(request=CriticalFunctionInputSerializer, responses=CriticalFunctionSerializer)
    def partial_update(self, request, slug=None):
        function = services.critical_function_update(
            actor=request.user,
            function=self.get_object(),
            **self._input(CriticalFunctionInputSerializer, partial=True),
        )
        return self._render(function)


# --- Delegations ----------------------------------------------------------------------------


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
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)
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
    function = _slug_of(CriticalFunction)
    team = _slug_of(
        Team, default=None, allow_null=True, help_text=_("Leave out for the organisation.")
    )
    user = username_field(help_text=_("Username."))
    rank = serializers.IntegerField(help_text=_("1 = primary, 2+ = backups."))


class ReorderSerializer(InputSerializer):
    function = _slug_of(CriticalFunction)
    team = _slug_of(Team, required=False, allow_null=True)
    users = username_field(many=True, help_text=_("Usernames, the primary first."))


class HolderQuerySerializer(QuerySerializer):
    function = _slug_of(CriticalFunction, help_text=_("Function slug."))
    team = _slug_of(Team, required=False, help_text=_("Team slug; the organisation when left out."))
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


# --- Unavailability -------------------------------------------------------------------------


class UnavailabilitySerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)
    user_name = FullNameField(source="user")
    is_current = serializers.SerializerMethodField()

    class Meta:
        model = Unavailability
        fields = ["id", "user", "user_name", "starts_at", "ends_at", "reason", "note", "is_current"]
        read_only_fields = fields

    def get_is_current(self, window) -> bool:
        return window.starts_at <= timezone.now() < window.ends_at


class UnavailabilityInputSerializer(InputSerializer):
    user = username_field(required=False, help_text=_("Username; yourself when left out."))
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    reason = serializers.ChoiceField(choices=UnavailabilityReason.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


class UnavailabilityFilter(filters.FilterSet):
    user = filters.CharFilter(field_name="user__username", label=_("Username"))
    upcoming = filters.BooleanFilter(method="filter_upcoming", label=_("Not yet ended"))

    class Meta:
        model = Unavailability
        fields = ["user", "upcoming"]

    def filter_upcoming(self, queryset, name, value):
        if value is None:
            return queryset
        now = timezone.now()
        return queryset.filter(ends_at__gt=now) if value else queryset.filter(ends_at__lte=now)


class UnavailabilityViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    ServiceViewSet,
):
    serializer_class = UnavailabilitySerializer
    filterset_class = UnavailabilityFilter
    queryset = Unavailability.objects.select_related("user").order_by("starts_at", "id")
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    @extend_schema(request=UnavailabilityInputSerializer, responses={201: UnavailabilitySerializer})
    @idempotent
    def create(self, request):
        data = self._input(UnavailabilityInputSerializer)
        data.setdefault("user", request.user)
        window = services.unavailability_add(actor=request.user, **data)
        return self._render(window, status.HTTP_201_CREATED)

    @extend_schema(request=UnavailabilityInputSerializer, responses=UnavailabilitySerializer)
    def partial_update(self, request, pk=None):
        changes = self._input(UnavailabilityInputSerializer, partial=True)
        window = self.get_object()
        if "user" in changes and changes["user"] != window.user:
            raise serializers.ValidationError(
                {"user": [_("A window stays with its person: add a new one.")]}
            )
        changes.pop("user", None)
        window = services.unavailability_update(actor=request.user, window=window, **changes)
        return self._render(window)

    def perform_destroy(self, window):
        services.unavailability_remove(actor=self.request.user, window=window)


# --- Single points of failure ---------------------------------------------------------------


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
