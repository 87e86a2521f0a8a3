"""Response plans on the API, read-only, for integrations: `/response-plans/` (filters
`active`, `incident_type`, `severity`) with each plan's steps in order and how each audience
is told, primary method first. Plans are changed in the admin.

Methods may name fixed addresses (webhook URLs, phone numbers): only holders of
`response.view_responseplan` or `response.change_responseplan` read plans.
"""

import django_filters
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers, viewsets
from rest_framework.permissions import BasePermission, IsAuthenticated

from core.api.query import RelatedSlugFilter
from response.models import (
    CommunicationMethod,
    PlanAudience,
    ResponsePlan,
    ResponsePlanStep,
)


class MayReadResponsePlans(BasePermission):
    message = _("You are not allowed to read response plans.")

    def has_permission(self, request, view):
        user = request.user
        return user.has_perm("response.view_responseplan") or user.has_perm(
            "response.change_responseplan"
        )


class ResponsePlanFilter(django_filters.FilterSet):
    active = django_filters.BooleanFilter(field_name="is_active", label=_("Active"))
    incident_type = RelatedSlugFilter("incident_type__slug", label=_("Incident type slug"))
    severity = RelatedSlugFilter("severity__name", label=_("Severity name"))

    class Meta:
        model = ResponsePlan
        fields = ["active", "incident_type", "severity"]


class ResponsePlanStepSerializer(serializers.ModelSerializer):
    function = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = ResponsePlanStep
        fields = ["position", "action", "title", "audience", "function"]
        read_only_fields = fields


class CommunicationMethodSerializer(serializers.ModelSerializer):
    class Meta:
        model = CommunicationMethod
        fields = ["rank", "channel", "target", "address"]
        read_only_fields = fields


class AudienceMethodsSerializer(serializers.Serializer):
    """Each audience's methods, primary first; an audience the plan does not tell is empty."""

    def get_fields(self):
        return {
            audience: CommunicationMethodSerializer(many=True, read_only=True)
            for audience in PlanAudience.values
        }

    def to_representation(self, methods):
        by_audience = {audience: [] for audience in PlanAudience.values}
        for method in sorted(methods, key=lambda m: (m.rank, m.pk)):
            by_audience[method.audience].append(method)
        return {
            audience: CommunicationMethodSerializer(ranked, many=True).data
            for audience, ranked in by_audience.items()
        }


class ResponsePlanSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:response-plan-detail")
    incident_type = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    severity = serializers.SlugRelatedField(slug_field="name", read_only=True)
    steps = ResponsePlanStepSerializer(many=True, read_only=True)
    methods = AudienceMethodsSerializer(
        source="communication_methods.all",
        read_only=True,
        help_text=_("How each audience is told: the primary method, then the backups."),
    )

    class Meta:
        model = ResponsePlan
        fields = [
            "url",
            "id",
            "name",
            "description",
            "incident_type",
            "severity",
            "is_active",
            "steps",
            "methods",
        ]
        read_only_fields = fields


class ResponsePlanViewSet(viewsets.ReadOnlyModelViewSet):
    """Response plans: what runs when an incident is declared, and how each audience is told."""

    serializer_class = ResponsePlanSerializer
    filterset_class = ResponsePlanFilter
    permission_classes = [IsAuthenticated, MayReadResponsePlans]

    def get_queryset(self):
        return ResponsePlan.objects.select_related("incident_type", "severity").prefetch_related(
            Prefetch(
                "steps",
                ResponsePlanStep.objects.select_related("function").order_by("position", "pk"),
            ),
            "communication_methods",
        )
