"""`/teams/`: teams and their members."""

from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.fields import FullNameField, username_field
from core.api.idempotent import idempotent
from core.api.strict import InputSerializer
from people import services
from people.api.base import ServiceViewSet
from people.models import Team, TeamMembership

User = get_user_model()
USERNAME = OpenApiParameter("username", str, OpenApiParameter.PATH)


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
