"""The incidents API. Each endpoint parses its input, calls one service and renders the result.

Incidents are loaded through the selectors, so one the user may not see answers 404 and is
absent from lists. Services refuse with ValidationError (400), TransitionNotAllowed (409) or
PermissionDenied (403); see core/api/errors.py.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.api.idempotent import idempotent
from incidents import selectors, services
from incidents.api.roles import HandoverSerializer
from incidents.filters import IncidentFilter
from incidents.models import AckVia, IncidentSource

from .effort import EffortActionsMixin
from .escalation import EscalationActionsMixin
from .plan import ResponseActionsMixin
from .serializers import (
    CancelSerializer,
    CriterionCheckSerializer,
    CriterionSerializer,
    CriterionWaiveSerializer,
    IncidentDeclareSerializer,
    IncidentDetailSerializer,
    IncidentSerializer,
    NoteSerializer,
    PlaybookStepCompleteSerializer,
    PlaybookStepSerializer,
    ResolveSerializer,
    SeverityChangeSerializer,
    StatusChangeSerializer,
    StatusUpdateInputSerializer,
    StatusUpdateSerializer,
    TimelineEventSerializer,
)

CRITERION_ID = OpenApiParameter("criterion_id", int, OpenApiParameter.PATH)
CRITERION_PATH = r"exit-criteria/(?P<criterion_id>\d+)"
STEP_ID = OpenApiParameter("step_id", int, OpenApiParameter.PATH)
# A sub-list of one incident: neither filtered like the incident list nor paginated.
SUB_LIST = {"filter_backends": [], "pagination_class": None}


class IncidentViewSet(
    EffortActionsMixin,
    EscalationActionsMixin,
    ResponseActionsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    lookup_field = "reference"
    lookup_value_regex = r"[\w-]+"
    filterset_class = IncidentFilter
    refused_by_state = True  # the schema documents 409 on writes to one incident
    permission_classes = [IsAuthenticated]

    @property
    def throttle_scope(self):
        """Declaring counts against a tighter rate than the rest (ScopedRateThrottle)."""
        return "declare" if self.action == "create" else None

    def get_queryset(self):
        return selectors.incident_list(user=self.request.user)

    def get_object(self):
        incident = selectors.incident_get(
            user=self.request.user, reference=self.kwargs[self.lookup_field]
        )
        self.check_object_permissions(self.request, incident)
        return incident

    def get_serializer_class(self):
        return IncidentSerializer if self.action == "list" else IncidentDetailSerializer

    def _input(self, serializer_class):
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _render(self, serializer_class, instance, status_code=status.HTTP_200_OK, **kwargs):
        serializer = serializer_class(instance, context=self.get_serializer_context(), **kwargs)
        return Response(serializer.data, status=status_code)

    def _render_incident(self, incident, status_code=status.HTTP_200_OK):
        # Re-read through the selector: the service's copy lacks its annotations and prefetches.
        incident = selectors.incident_get(user=self.request.user, reference=incident.pk)
        return self._render(IncidentDetailSerializer, incident, status_code)

    @extend_schema(request=IncidentDeclareSerializer, responses={201: IncidentDetailSerializer})
    @idempotent
    def create(self, request):
        incident = services.incident_declare(
            actor=request.user, source=IncidentSource.API, **self._input(IncidentDeclareSerializer)
        )
        return self._render_incident(incident, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=IncidentDetailSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def acknowledge(self, request, reference=None):
        incident = services.incident_acknowledge(
            incident=self.get_object(), actor=request.user, via=AckVia.API
        )
        return self._render_incident(incident)

    @extend_schema(methods=["GET"], responses=StatusUpdateSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request=StatusUpdateInputSerializer,
        responses={201: StatusUpdateSerializer},
    )
    @action(detail=True, methods=["get", "post"], **SUB_LIST)
    @idempotent
    def updates(self, request, reference=None):
        incident = self.get_object()
        if request.method == "GET":
            updates = selectors.incident_updates(incident=incident)
            return self._render(StatusUpdateSerializer, updates, many=True)
        update = services.incident_post_update(
            incident=incident, actor=request.user, **self._input(StatusUpdateInputSerializer)
        )
        return self._render(StatusUpdateSerializer, update, status.HTTP_201_CREATED)

    @extend_schema(request=StatusChangeSerializer, responses=IncidentDetailSerializer)
    @action(detail=True, methods=["post"], url_path="status")
    @idempotent
    def change_status(self, request, reference=None):
        incident = services.incident_change_status(
            incident=self.get_object(), actor=request.user, **self._input(StatusChangeSerializer)
        )
        return self._render_incident(incident)

    @extend_schema(request=SeverityChangeSerializer, responses=IncidentDetailSerializer)
    @action(detail=True, methods=["post"], url_path="severity")
    @idempotent
    def change_severity(self, request, reference=None):
        incident = services.incident_change_severity(
            incident=self.get_object(), actor=request.user, **self._input(SeverityChangeSerializer)
        )
        return self._render_incident(incident)

    @extend_schema(request=ResolveSerializer, responses=IncidentDetailSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def resolve(self, request, reference=None):
        incident = services.incident_resolve(
            incident=self.get_object(), actor=request.user, **self._input(ResolveSerializer)
        )
        return self._render_incident(incident)

    @extend_schema(request=None, responses=IncidentDetailSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def close(self, request, reference=None):
        incident = services.incident_close(incident=self.get_object(), actor=request.user)
        return self._render_incident(incident)

    @extend_schema(request=CancelSerializer, responses=IncidentDetailSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def cancel(self, request, reference=None):
        incident = services.incident_cancel(
            incident=self.get_object(), actor=request.user, **self._input(CancelSerializer)
        )
        return self._render_incident(incident)

    @extend_schema(request=NoteSerializer, responses={201: TimelineEventSerializer})
    @action(detail=True, methods=["post"])
    @idempotent
    def notes(self, request, reference=None):
        event = services.incident_add_note(
            incident=self.get_object(), actor=request.user, **self._input(NoteSerializer)
        )
        return self._render(TimelineEventSerializer, event, status.HTTP_201_CREATED)

    @extend_schema(responses=CriterionSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="exit-criteria", **SUB_LIST)
    def exit_criteria(self, request, reference=None):
        return self._render(CriterionSerializer, self.get_object().criteria.all(), many=True)

    @extend_schema(
        request=CriterionCheckSerializer, responses=CriterionSerializer, parameters=[CRITERION_ID]
    )
    @action(detail=True, methods=["post"], url_path=f"{CRITERION_PATH}/check")
    @idempotent
    def check_exit_criterion(self, request, reference=None, criterion_id=None):
        criterion = services.incident_check_exit_criterion(
            incident=self.get_object(),
            actor=request.user,
            criterion_id=criterion_id,
            **self._input(CriterionCheckSerializer),
        )
        return self._render(CriterionSerializer, criterion)

    @extend_schema(
        request=CriterionWaiveSerializer, responses=CriterionSerializer, parameters=[CRITERION_ID]
    )
    @action(detail=True, methods=["post"], url_path=f"{CRITERION_PATH}/waive")
    @idempotent
    def waive_exit_criterion(self, request, reference=None, criterion_id=None):
        criterion = services.incident_waive_exit_criterion(
            incident=self.get_object(),
            actor=request.user,
            criterion_id=criterion_id,
            **self._input(CriterionWaiveSerializer),
        )
        return self._render(CriterionSerializer, criterion)

    @extend_schema(
        request=PlaybookStepCompleteSerializer,
        responses=PlaybookStepSerializer,
        parameters=[STEP_ID],
    )
    @action(detail=True, methods=["post"], url_path=r"playbook-steps/(?P<step_id>\d+)/complete")
    @idempotent
    def complete_playbook_step(self, request, reference=None, step_id=None):
        step = services.incident_complete_playbook_step(
            incident=self.get_object(),
            actor=request.user,
            step_id=step_id,
            **self._input(PlaybookStepCompleteSerializer),
        )
        return self._render(PlaybookStepSerializer, step)

    @extend_schema(responses=TimelineEventSerializer(many=True))
    @action(detail=True, methods=["get"], **SUB_LIST)
    def timeline(self, request, reference=None):
        events = selectors.incident_timeline(incident=self.get_object())
        return self._render(TimelineEventSerializer, events, many=True)

    @extend_schema(request=HandoverSerializer, responses=IncidentDetailSerializer)
    @action(detail=True, methods=["post"], url_path="roles/handover")
    @idempotent
    def handover(self, request, reference=None):
        incident = self.get_object()
        services.incident_hand_over_role(
            incident=incident, actor=request.user, **self._input(HandoverSerializer)
        )
        return self._render_incident(incident)
