"""An incident's response plan and its notifications on the API (the incident viewset mixes in
`ResponseActionsMixin`):

- `/incidents/{ref}/plan-steps/`: GET the plan's steps in order;
  `/incidents/{ref}/plan-steps/{id}/complete/` POST ticks off a manual step (400 for a step
  that runs by itself or is already done, 403 for who may not act, 409 once the incident is no
  longer active).
- `/incidents/{ref}/deliveries/`: GET every delivery of the incident's notifications, newest
  first, filtered by `?status=&channel=&audience=`, in a constant number of queries.

This module imports nothing from serializers/ or views.py: views.py imports from it.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError

from core.api.fields import read_only_username
from core.api.idempotent import idempotent
from incidents import services
from incidents.models import IncidentPlanStep, PlanStepState
from notifications.api.filters import DeliveryFilter
from notifications.api.serializers import DeliverySerializer
from notifications.models import Channel, Delivery, DeliveryStatus, NotificationAudience
from response.models import StepAction

STEP_ID = OpenApiParameter("step_id", int, OpenApiParameter.PATH)
DELIVERY_FILTERS = [
    OpenApiParameter(name, str, OpenApiParameter.QUERY, enum=choices.values, many=True)
    for name, choices in (
        ("status", DeliveryStatus),
        ("channel", Channel),
        ("audience", NotificationAudience),
    )
]
SUB_LIST = {"filter_backends": [], "pagination_class": None}


class PlanStepSerializer(serializers.ModelSerializer):
    action = serializers.ChoiceField(choices=StepAction.choices, read_only=True)
    state = serializers.ChoiceField(choices=PlanStepState.choices, read_only=True)
    manual = serializers.BooleanField(
        source="is_manual", read_only=True, help_text=_("A checklist item a person ticks off.")
    )
    function = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    done_by = read_only_username()

    class Meta:
        model = IncidentPlanStep
        fields = [
            "id",
            "position",
            "action",
            "title",
            "manual",
            "audience",
            "function",
            "state",
            "detail",
            "attempts",
            "done_at",
            "done_by",
        ]
        read_only_fields = fields


class ResponseActionsMixin:
    """Mixed into the incident viewset: uses its get_object and _render."""

    @extend_schema(responses=PlanStepSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="plan-steps", **SUB_LIST)
    def plan_steps(self, request, reference=None):
        """The incident's response plan steps, in order."""
        steps = self.get_object().plan_steps.select_related("function", "done_by")
        return self._render(PlanStepSerializer, steps.order_by("position", "pk"), many=True)

    @extend_schema(request=None, responses=PlanStepSerializer, parameters=[STEP_ID])
    @action(detail=True, methods=["post"], url_path=r"plan-steps/(?P<step_id>\d+)/complete")
    @idempotent
    def complete_plan_step(self, request, reference=None, step_id=None):
        """Tick off a manual (checklist) step of the incident's response plan."""
        step = services.incident_complete_plan_step(
            incident=self.get_object(), actor=request.user, step_id=step_id
        )
        return self._render(PlanStepSerializer, step)

    @extend_schema(responses=DeliverySerializer(many=True), parameters=DELIVERY_FILTERS)
    @action(detail=True, methods=["get"], **SUB_LIST)
    def deliveries(self, request, reference=None):
        """Every delivery of the incident's notifications, newest first. Repeat a filter to
        match any of its values."""
        found = DeliveryFilter(
            request.query_params,
            queryset=Delivery.objects.filter(notification__incident=self.get_object())
            .select_related("notification", "recipient")
            .order_by("-created_at", "-pk"),
        )
        if not found.is_valid():
            raise ValidationError(found.errors)
        return self._render(DeliverySerializer, found.qs, many=True)
