"""The playbooks API.

- `/services/` (by slug; filters `tier`, `team`, `active`; POST/PATCH/PUT with
  `catalog.add_service` / `change_service`), each with its coverage summary.
- `/playbooks/` (filters `service`, `incident_type`; POST with `playbooks.change_playbook`
  creates a playbook and its first draft), `/playbooks/coverage/` the coverage report.
- `/playbook-versions/` (filters `status`, `service`, `playbook`; POST a new draft; PATCH/PUT a
  draft), and the actions `submit`, `approve`, `reject`, `reopen`, `verify`.

Everything is read through `catalog_selectors.visible_services`: a restricted service, its playbooks
and versions answer 404 and are absent from lists. Services refuse with ValidationError (400),
TransitionNotAllowed (409) or PermissionDenied (403); see core/api/errors.py.
"""

import django_filters
from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from catalog import selectors as catalog_selectors
from catalog import services as catalog_services
from catalog.models import Service
from core.api.idempotent import idempotent
from core.api.query import IntegerFilter, RelatedSlugFilter
from playbooks import selectors, services
from playbooks.models import Playbook, PlaybookEvent, PlaybookVersion, VersionStatus

from .serializers import (
    PlaybookApproveSerializer,
    PlaybookCoverageSerializer,
    PlaybookDetailSerializer,
    PlaybookInputSerializer,
    PlaybookRejectSerializer,
    PlaybookSerializer,
    PlaybookVerifySerializer,
    PlaybookVersionCreateSerializer,
    PlaybookVersionDetailSerializer,
    PlaybookVersionEditSerializer,
    PlaybookVersionSerializer,
    ServiceInputSerializer,
    ServiceSerializer,
)


class ServiceFilter(django_filters.FilterSet):
    tier = IntegerFilter(label=_("Tier"))
    team = RelatedSlugFilter("owner_team__slug", label=_("Owner team slug"))
    active = django_filters.BooleanFilter(field_name="is_active", label=_("Active"))

    class Meta:
        model = Service
        fields = ["tier", "team", "active"]


class PlaybookFilter(django_filters.FilterSet):
    service = RelatedSlugFilter("service__slug", label=_("Service slug"))
    incident_type = RelatedSlugFilter("incident_type__slug", label=_("Incident type slug"))

    class Meta:
        model = Playbook
        fields = ["service", "incident_type"]


class VersionFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=VersionStatus.choices, label=_("Status"))
    service = RelatedSlugFilter("playbook__service__slug", label=_("Service slug"))
    playbook = IntegerFilter(field_name="playbook_id", label=_("Playbook id"))

    class Meta:
        model = PlaybookVersion
        fields = ["status", "service", "playbook"]


class PlaybooksViewSet(viewsets.GenericViewSet):
    """Shared plumbing: parse input, call a service, re-read and render the result."""

    permission_classes = [IsAuthenticated]
    detail_serializer_class = None

    def visible_services(self):
        return catalog_selectors.visible_services(self.request.user)

    def get_serializer_class(self):
        if self.action == "list" or self.detail_serializer_class is None:
            return self.serializer_class
        return self.detail_serializer_class

    def _input(self, serializer_class, **kwargs):
        serializer = serializer_class(
            data=self.request.data, context=self.get_serializer_context(), **kwargs
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _render(self, instance, status_code=status.HTTP_200_OK):
        # Re-read through the queryset: the service's copy lacks the annotations and prefetches.
        instance = self.get_queryset().get(pk=instance.pk)
        serializer = (self.detail_serializer_class or self.serializer_class)(
            instance, context=self.get_serializer_context()
        )
        return Response(serializer.data, status=status_code)


# --- Services -------------------------------------------------------------------------------


class ServiceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PlaybooksViewSet):
    lookup_field = "slug"
    serializer_class = ServiceSerializer
    filterset_class = ServiceFilter
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.service_list(user=self.request.user)

    @extend_schema(request=ServiceInputSerializer, responses={201: ServiceSerializer})
    @idempotent
    def create(self, request):
        service = catalog_services.service_create(
            actor=request.user, **self._input(ServiceInputSerializer)
        )
        return self._render(service, status.HTTP_201_CREATED)

    @extend_schema(request=ServiceInputSerializer, responses=ServiceSerializer)
    def update(self, request, slug=None):
        return self._update(partial=False)

    @extend_schema(request=ServiceInputSerializer, responses=ServiceSerializer)
    def partial_update(self, request, slug=None):
        return self._update(partial=True)

    def _update(self, partial):
        changes = self._input(ServiceInputSerializer, partial=partial)
        service = catalog_services.service_update(
            actor=self.request.user, service=self.get_object(), **changes
        )
        return self._render(service)


# --- Playbooks ------------------------------------------------------------------------------


class PlaybookViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PlaybooksViewSet):
    serializer_class = PlaybookSerializer
    detail_serializer_class = PlaybookDetailSerializer
    filterset_class = PlaybookFilter

    def get_queryset(self):
        approved = PlaybookVersion.objects.filter(
            playbook=OuterRef("pk"), status=VersionStatus.APPROVED
        ).values("number")[:1]
        playbooks = (
            Playbook.objects.filter(service__in=self.visible_services())
            .select_related("service", "incident_type")
            .annotate(approved_version=Subquery(approved))
        )
        if self.action != "list":
            playbooks = playbooks.prefetch_related(
                Prefetch("versions", queryset=PlaybookVersion.objects.order_by("-number"))
            )
        return playbooks

    @extend_schema(request=PlaybookInputSerializer, responses={201: PlaybookDetailSerializer})
    @idempotent
    def create(self, request):
        draft = services.playbook_create(actor=request.user, **self._input(PlaybookInputSerializer))
        return self._render(draft.playbook, status.HTTP_201_CREATED)

    @extend_schema(responses=PlaybookCoverageSerializer)
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def coverage(self, request):
        """Every active service you may see: approved playbook, verified and current, days
        until re-verification, pending reviews; with how many are covered."""
        rows = selectors.coverage_for(user=request.user)
        report = {
            "covered": sum(1 for row in rows if row.is_covered),
            "total": len(rows),
            "services": rows,
        }
        return Response(
            PlaybookCoverageSerializer(report, context=self.get_serializer_context()).data
        )


# --- Versions -------------------------------------------------------------------------------


class PlaybookVersionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PlaybooksViewSet):
    serializer_class = PlaybookVersionSerializer
    detail_serializer_class = PlaybookVersionDetailSerializer
    filterset_class = VersionFilter
    refused_by_state = True  # the schema documents 409 on writes to one version
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        versions = (
            PlaybookVersion.objects.filter(playbook__service__in=self.visible_services())
            .select_related("playbook__service", "author")
            .annotate(approvals_given=Count("approvals"))
            .order_by("playbook__service__name", "playbook__title", "playbook_id", "-number")
        )
        if self.action != "list":
            versions = versions.prefetch_related(
                "steps",
                "approvals__approver",
                "verifications__verified_by",
                Prefetch("events", queryset=PlaybookEvent.objects.select_related("actor")),
            )
        return versions

    @extend_schema(
        request=PlaybookVersionCreateSerializer, responses={201: PlaybookVersionDetailSerializer}
    )
    @idempotent
    def create(self, request):
        version = services.playbook_version_create(
            actor=request.user, **self._input(PlaybookVersionCreateSerializer)
        )
        return self._render(version, status.HTTP_201_CREATED)

    @extend_schema(request=PlaybookVersionEditSerializer, responses=PlaybookVersionDetailSerializer)
    def update(self, request, pk=None):
        return self._edit(partial=False)

    @extend_schema(request=PlaybookVersionEditSerializer, responses=PlaybookVersionDetailSerializer)
    def partial_update(self, request, pk=None):
        return self._edit(partial=True)

    def _edit(self, partial):
        version = self.get_object()
        data = self._input(PlaybookVersionEditSerializer, partial=partial)
        content = data.get("content", version.content)
        steps = data.get("steps")
        if steps is None:
            steps = [
                {field: getattr(step, field) for field in services.STEP_FIELDS}
                for step in version.steps.all()
            ]
        version = services.playbook_version_edit(
            actor=self.request.user, version=version, content=content, steps=steps
        )
        return self._render(version)

    @extend_schema(request=None, responses=PlaybookVersionDetailSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def submit(self, request, pk=None):
        version = services.playbook_version_submit(actor=request.user, version=self.get_object())
        return self._render(version)

    @extend_schema(request=PlaybookApproveSerializer, responses=PlaybookVersionDetailSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def approve(self, request, pk=None):
        version = services.playbook_version_approve(
            actor=request.user, version=self.get_object(), **self._input(PlaybookApproveSerializer)
        )
        return self._render(version)

    @extend_schema(request=PlaybookRejectSerializer, responses=PlaybookVersionDetailSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def reject(self, request, pk=None):
        version = services.playbook_version_reject(
            actor=request.user, version=self.get_object(), **self._input(PlaybookRejectSerializer)
        )
        return self._render(version)

    @extend_schema(request=None, responses=PlaybookVersionDetailSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def reopen(self, request, pk=None):
        version = services.playbook_version_reopen(actor=request.user, version=self.get_object())
        return self._render(version)

    @extend_schema(request=PlaybookVerifySerializer, responses=PlaybookVersionDetailSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def verify(self, request, pk=None):
        verification = services.playbook_version_verify(
            actor=request.user, version=self.get_object(), **self._input(PlaybookVerifySerializer)
        )
        return self._render(verification.version)
