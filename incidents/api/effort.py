"""Effort, cost and policy compliance on the API.

- `/incidents/{ref}/effort/`: GET the time logged on an incident, POST to log one's own time;
  `/incidents/{ref}/effort/{id}/` DELETE takes an entry back (the incident viewset mixes in
  `EffortActionsMixin`).
- `/reports/effort/?month=YYYY-MM` and `/reports/compliance/?month=YYYY-MM`: the month's
  incidents the caller may see, per severity.
- The serializers of the incident detail's `compliance` and `effort` objects.

This module imports nothing from serializers/ or views.py: both import from it.
"""

import re

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.api.idempotent import idempotent
from core.api.query import QuerySerializer
from core.api.strict import InputSerializer
from incidents import costing, monthly_compliance, months, services
from incidents.models import EffortEntry, IncidentCompliance
from people.models import CriticalFunction

HOURS = {"max_digits": 8, "decimal_places": 2, "read_only": True}
MONEY = {"max_digits": 14, "decimal_places": 2, "read_only": True}
MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
ENTRY_ID = OpenApiParameter("entry_id", int, OpenApiParameter.PATH)


# --- Incident detail: compliance and effort ----------------------------------------------------


class ComplianceSerializer(serializers.ModelSerializer):
    class Meta:
        model = IncidentCompliance
        fields = [
            "ack_target_minutes",
            "ack_minutes",
            "ack_within_target",
            "update_cadence_minutes",
            "update_gaps_minutes",
            "late_updates",
            "longest_gap_minutes",
            "postmortem_due_at",
            "postmortem_on_time",
            "computed_at",
        ]
        read_only_fields = fields

    update_gaps_minutes = serializers.ListField(child=serializers.FloatField(), read_only=True)


class PersonEffortSerializer(serializers.Serializer):
    user = serializers.CharField(source="user.get_username", read_only=True)
    hours = serializers.DecimalField(**HOURS)
    cost = serializers.DecimalField(**MONEY)
    source = serializers.ChoiceField(
        choices=[(costing.LOGGED, _("Logged")), (costing.FROM_ROLES, _("From role assignments"))],
        read_only=True,
        help_text=_("Logged hours, or derived from the roles held when the person logged none."),
    )


class EffortSummarySerializer(serializers.Serializer):
    actual_hours = serializers.DecimalField(**HOURS)
    expected_hours = serializers.DecimalField(
        **HOURS, allow_null=True, help_text=_("People expected × duration; null without a policy.")
    )
    logged_hours = serializers.DecimalField(**HOURS)
    derived_hours = serializers.DecimalField(**HOURS)
    duration_hours = serializers.DecimalField(**HOURS)
    expected_people = serializers.IntegerField(read_only=True, allow_null=True)
    cost = serializers.DecimalField(**MONEY)
    currency = serializers.CharField(read_only=True)
    hourly_rate = serializers.DecimalField(**MONEY)
    people = PersonEffortSerializer(many=True, read_only=True)


# --- Effort entries on an incident ----------------------------------------------------------------


class EffortEntrySerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.get_username", read_only=True)
    function = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = EffortEntry
        fields = ["id", "user", "function", "hours", "worked_on", "note", "logged_at"]
        read_only_fields = fields


class EffortLogSerializer(InputSerializer):
    hours = serializers.DecimalField(
        max_digits=5, decimal_places=2, help_text=_("0.25 to 24, in quarter hours.")
    )
    worked_on = serializers.DateField(help_text=_("The day worked, in your time zone."))
    function = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=CriticalFunction.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("The critical function the time was spent in; its cost weight applies."),
    )
    note = serializers.CharField(allow_blank=True, required=False)


class EffortActionsMixin:
    """Mixed into the incident viewset: uses its get_object, _input and _render."""

    @extend_schema(methods=["GET"], responses=EffortEntrySerializer(many=True))
    @extend_schema(
        methods=["POST"], request=EffortLogSerializer, responses={201: EffortEntrySerializer}
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    @idempotent
    def effort(self, request, reference=None):
        incident = self.get_object()
        if request.method == "GET":
            entries = costing.effort_entries(incident=incident)
            return self._render(EffortEntrySerializer, entries, many=True)
        entry = services.effort_log(
            actor=request.user, incident=incident, **self._input(EffortLogSerializer)
        )
        return self._render(EffortEntrySerializer, entry, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None}, parameters=[ENTRY_ID])
    @action(detail=True, methods=["delete"], url_path=r"effort/(?P<entry_id>\d+)")
    def remove_effort(self, request, reference=None, entry_id=None):
        incident = self.get_object()
        entry = EffortEntry.objects.filter(incident=incident, pk=entry_id).first()
        if entry is None:
            raise Http404("No such effort entry.")
        services.effort_remove(actor=request.user, entry=entry)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Monthly reports ------------------------------------------------------------------------------


@extend_schema_field({"type": "string", "pattern": MONTH_PATTERN, "example": "2026-03"})
class MonthField(serializers.Field):
    """A month as YYYY-MM, held as the date of its first day."""

    default_error_messages = {"invalid": _("Give the month as YYYY-MM.")}

    def to_representation(self, month):
        return f"{month.year:04d}-{month.month:02d}"  # strftime leaves out the zeros of year 180

    def to_internal_value(self, value):
        try:
            if not re.fullmatch(MONTH_PATTERN, value):
                raise ValueError(value)
            return months.parse_month(value)
        except (TypeError, ValueError):
            self.fail("invalid")


class MonthQuerySerializer(QuerySerializer):
    month = MonthField(
        required=False, help_text=_("The month as YYYY-MM; this month when left out.")
    )


class SeverityEffortSerializer(serializers.Serializer):
    severity = serializers.CharField(source="severity.name", read_only=True, allow_null=True)
    incidents = serializers.IntegerField(read_only=True)
    actual_hours = serializers.DecimalField(**HOURS)
    expected_hours = serializers.DecimalField(
        **HOURS, help_text=_("Summed over the incidents that ran under a policy.")
    )
    incidents_without_policy = serializers.IntegerField(read_only=True)
    share_of_expected = serializers.IntegerField(
        read_only=True, allow_null=True, help_text=_("Actual as a percentage of expected.")
    )
    cost = serializers.DecimalField(**MONEY)


class EffortReportSerializer(serializers.Serializer):
    month = MonthField(read_only=True)
    currency = serializers.CharField(read_only=True)
    hourly_rate = serializers.DecimalField(**MONEY)
    severities = SeverityEffortSerializer(many=True, read_only=True)
    total = SeverityEffortSerializer(read_only=True)


class SeverityComplianceSerializer(serializers.Serializer):
    severity = serializers.CharField(source="severity.name", read_only=True, allow_null=True)
    incidents = serializers.IntegerField(read_only=True)
    ack_measured = serializers.IntegerField(
        read_only=True, help_text=_("Incidents with an acknowledgement target to measure.")
    )
    ack_within_target = serializers.IntegerField(read_only=True)
    ack_share = serializers.FloatField(
        read_only=True, allow_null=True, help_text=_("Acknowledged within target ÷ measured.")
    )
    late_updates = serializers.IntegerField(read_only=True)
    incidents_with_late_updates = serializers.IntegerField(read_only=True)
    longest_gap_minutes = serializers.FloatField(read_only=True, allow_null=True)
    postmortems_due = serializers.IntegerField(read_only=True)
    postmortems_on_time = serializers.IntegerField(read_only=True)
    postmortems_late = serializers.IntegerField(read_only=True)


class ComplianceReportSerializer(serializers.Serializer):
    month = MonthField(read_only=True)
    severities = SeverityComplianceSerializer(many=True, read_only=True)
    total = SeverityComplianceSerializer(read_only=True)


def month_from(request):
    query = MonthQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data.get("month") or months.this_month()


class ReportViewSet(viewsets.ViewSet):
    """Monthly figures over the incidents declared in that month that the caller may see."""

    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[MonthQuerySerializer], responses=EffortReportSerializer)
    @action(detail=False, methods=["get"])
    def effort(self, request):
        """People-hours actual vs expected by the policy, and cost, per severity."""
        report = costing.effort_report(user=request.user, month=month_from(request))
        return Response(EffortReportSerializer(report).data)

    @extend_schema(parameters=[MonthQuerySerializer], responses=ComplianceReportSerializer)
    @action(detail=False, methods=["get"])
    def compliance(self, request):
        """Acknowledged within target, late status updates and postmortems due, per severity."""
        report = monthly_compliance.compliance_report(user=request.user, month=month_from(request))
        return Response(ComplianceReportSerializer(report).data)
