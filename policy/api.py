"""The response policy and the priority matrix on the API.

`/api/v1/policies/`: versions (newest first) with their sign-off progress; a version's levels and
history; POST to start a draft, and the actions `levels` (set a level of a draft), `submit`,
`sign-off` and `reject`. `/api/v1/policies/effective/` is the version in force.
`/api/v1/priority-matrix/`: the impact × urgency grid, its `suggest` lookup, POST to set a cell.

Every signed-in user may read the policy; the services decide who may change it: ValidationError
(400), TransitionNotAllowed (409), PermissionDenied (403), see core/api/errors.py.
"""

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.api.fields import read_only_username, strings_field
from core.api.idempotent import idempotent
from core.api.query import QuerySerializer
from core.api.schema import ErrorSerializer
from core.api.strict import InputSerializer
from people.models import CriticalFunction, Team
from policy import selectors, services
from policy.models import (
    Audience,
    Impact,
    PolicyEvent,
    PolicyLevel,
    PolicySignOff,
    PolicyVersion,
    Priority,
    PriorityMatrixCell,
    SeverityLevel,
    StaffingModel,
    StageTarget,
    Urgency,
)

# --- Input ----------------------------------------------------------------------------------


class PolicyCreateSerializer(InputSerializer):
    summary = serializers.CharField(required=False, allow_blank=True)
    copy_from = serializers.SlugRelatedField(
        slug_field="number",
        queryset=PolicyVersion.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("The version number to start from; the version in force when left out."),
    )


class StageSerializer(InputSerializer):
    """One stage of an escalation chain (policy/chains.py)."""

    after_minutes = serializers.IntegerField(
        help_text=_("Minutes from the declaration (acknowledgement) or the due time (updates).")
    )
    notify = serializers.ChoiceField(choices=StageTarget.choices)
    function = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=CriticalFunction.objects.all(),
        required=False,
        help_text=_("The function, for `holder` and `next_delegate` (default: the commander's)."),
    )

    def to_internal_value(self, data):
        stage = super().to_internal_value(data)
        if "function" in stage:
            stage["function"] = stage["function"].slug
        return stage


class PolicyLevelInputSerializer(InputSerializer):
    """A level of a draft: `severity` and the fields to set; fields left out keep their value."""

    severity = serializers.SlugRelatedField(slug_field="name", queryset=SeverityLevel.objects.all())
    ack_target_minutes = serializers.IntegerField(required=False)
    update_cadence_minutes = serializers.IntegerField(required=False)
    page_wait_limit_minutes = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text=_(
            "Longer waits asked by a provider fail a page over at once; null: the "
            "acknowledgement target."
        ),
    )
    paged_functions = serializers.SlugRelatedField(
        slug_field="slug", queryset=CriticalFunction.objects.all(), many=True, required=False
    )
    audiences = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text=_("Any of: %(audiences)s.") % {"audiences": ", ".join(Audience.values)},
    )
    staffing_model = serializers.ChoiceField(choices=StaffingModel.choices, required=False)
    max_continuous_hours = serializers.IntegerField(required=False)
    expected_people = serializers.IntegerField(required=False)
    postmortem_required = serializers.BooleanField(required=False)
    postmortem_due_days = serializers.IntegerField(required=False)
    followup_priority = serializers.SlugRelatedField(
        slug_field="name", queryset=Priority.objects.all(), required=False, allow_null=True
    )
    followup_due_days = serializers.IntegerField(required=False)
    inform_leadership = serializers.BooleanField(required=False)
    ack_chain = StageSerializer(many=True, required=False)
    ack_repeat_minutes = serializers.IntegerField(required=False)
    ack_rounds = serializers.IntegerField(required=False)
    update_chain = StageSerializer(many=True, required=False)
    update_repeat_minutes = serializers.IntegerField(required=False)


class SignOffInputSerializer(InputSerializer):
    team = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Team.objects.all(),
        help_text=_("The slug of the team you lead and sign off for."),
    )
    comment = serializers.CharField(required=False, allow_blank=True)


class RejectInputSerializer(InputSerializer):
    reason = serializers.CharField(allow_blank=True)


class MatrixCellInputSerializer(InputSerializer):
    impact = serializers.ChoiceField(choices=Impact.choices)
    urgency = serializers.ChoiceField(choices=Urgency.choices)
    priority = serializers.SlugRelatedField(slug_field="name", queryset=Priority.objects.all())


class SuggestQuerySerializer(QuerySerializer):
    impact = serializers.ChoiceField(choices=Impact.choices)
    urgency = serializers.ChoiceField(choices=Urgency.choices)


# --- Output ---------------------------------------------------------------------------------


class StageOutputSerializer(serializers.Serializer):
    after_minutes = serializers.IntegerField(read_only=True)
    notify = serializers.ChoiceField(choices=StageTarget.choices, read_only=True)
    function = serializers.CharField(
        read_only=True, allow_null=True, default=None, help_text=_("A function's slug, if any.")
    )


class PolicyLevelSerializer(serializers.ModelSerializer):
    severity = serializers.SlugRelatedField(slug_field="name", read_only=True)
    ack_chain = StageOutputSerializer(many=True, read_only=True)
    update_chain = StageOutputSerializer(many=True, read_only=True)
    paged_functions = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    audiences = strings_field(read_only=True)
    followup_priority = serializers.SlugRelatedField(slug_field="name", read_only=True)

    class Meta:
        model = PolicyLevel
        fields = ["severity", *services.LEVEL_FIELDS]
        read_only_fields = fields


class PolicySignOffSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    user = read_only_username()

    class Meta:
        model = PolicySignOff
        fields = ["team", "user", "signed_at", "comment"]
        read_only_fields = fields


SLUGS = serializers.ListField(child=serializers.CharField())


class SignOffProgressSerializer(serializers.Serializer):
    """Which teams must sign (slugs), who signed for which, and which teams are missing."""

    required = serializers.SerializerMethodField()
    signed = PolicySignOffSerializer(many=True, read_only=True)
    missing = serializers.SerializerMethodField()
    done = serializers.IntegerField(read_only=True)
    total = serializers.IntegerField(read_only=True)
    complete = serializers.BooleanField(read_only=True)

    @extend_schema_field(SLUGS)
    def get_required(self, progress):
        return [team.slug for team in progress.required]

    @extend_schema_field(SLUGS)
    def get_missing(self, progress):
        return [team.slug for team in progress.missing]


class PolicyEventSerializer(serializers.ModelSerializer):
    actor = read_only_username()

    class Meta:
        model = PolicyEvent
        fields = ["kind", "actor", "created_at", "message", "data"]
        read_only_fields = fields


class PolicyVersionSerializer(serializers.ModelSerializer):
    """A version as lists show it; `status` changes only through the actions."""

    url = serializers.HyperlinkedIdentityField(view_name="api:policy-detail", lookup_field="number")
    author = read_only_username()
    sign_off_progress = serializers.SerializerMethodField()

    class Meta:
        model = PolicyVersion
        fields = [
            "url",
            "number",
            "status",
            "summary",
            "author",
            "created_at",
            "submitted_at",
            "effective_at",
            "superseded_at",
            "sign_off_progress",
        ]
        read_only_fields = fields

    @extend_schema_field(SignOffProgressSerializer)
    def get_sign_off_progress(self, version):
        progress = selectors.policy_sign_off_progress(
            version, teams=self.context.get("sign_off_teams")
        )
        return SignOffProgressSerializer(progress, context=self.context).data


class PolicyVersionDetailSerializer(PolicyVersionSerializer):
    levels = PolicyLevelSerializer(many=True, read_only=True)
    events = PolicyEventSerializer(many=True, read_only=True)

    class Meta(PolicyVersionSerializer.Meta):
        fields = [*PolicyVersionSerializer.Meta.fields, "levels", "events"]
        read_only_fields = fields


class MatrixCellSerializer(serializers.ModelSerializer):
    priority = serializers.SlugRelatedField(slug_field="name", read_only=True)

    class Meta:
        model = PriorityMatrixCell
        fields = ["impact", "urgency", "priority"]
        read_only_fields = fields


# --- Views ----------------------------------------------------------------------------------


class PolicyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    lookup_field = "number"
    lookup_value_regex = r"\d+"
    permission_classes = [IsAuthenticated]
    filter_backends = []
    refused_by_state = True  # the schema documents 409 on writes to one version

    def get_queryset(self):
        return selectors.policy_versions()

    def get_object(self):
        version = selectors.policy_get(number=self.kwargs[self.lookup_field])
        self.check_object_permissions(self.request, version)
        return version

    def get_serializer_class(self):
        return PolicyVersionSerializer if self.action == "list" else PolicyVersionDetailSerializer

    def get_serializer_context(self):
        # The sign-off teams once per request, not once per version listed.
        teams = list(selectors.sign_off_teams())
        return {**super().get_serializer_context(), "sign_off_teams": teams}

    def _input(self, serializer_class):
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _render_version(self, version, status_code=status.HTTP_200_OK):
        version = selectors.policy_get(number=version.number)
        serializer = PolicyVersionDetailSerializer(version, context=self.get_serializer_context())
        return Response(serializer.data, status=status_code)

    @extend_schema(request=PolicyCreateSerializer, responses={201: PolicyVersionDetailSerializer})
    @idempotent
    def create(self, request):
        version = services.policy_draft_create(
            actor=request.user, **self._input(PolicyCreateSerializer)
        )
        return self._render_version(version, status.HTTP_201_CREATED)

    @extend_schema(responses={200: PolicyVersionDetailSerializer, 404: ErrorSerializer})
    @action(detail=False, methods=["get"], pagination_class=None)
    def effective(self, request):
        version = selectors.policy_effective_detail()
        if version is None:
            raise Http404(_("No response policy is in force yet."))
        return self._render_version(version)

    @extend_schema(request=PolicyLevelInputSerializer, responses=PolicyLevelSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def levels(self, request, number=None):
        level = services.policy_level_set(
            actor=request.user, version=self.get_object(), **self._input(PolicyLevelInputSerializer)
        )
        level = selectors.policy_get(number=number).levels.get(pk=level.pk)
        return Response(PolicyLevelSerializer(level).data)

    @extend_schema(request=None, responses=PolicyVersionDetailSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def submit(self, request, number=None):
        version = services.policy_submit(actor=request.user, version=self.get_object())
        return self._render_version(version)

    @extend_schema(request=SignOffInputSerializer, responses=PolicyVersionDetailSerializer)
    @action(detail=True, methods=["post"], url_path="sign-off")
    @idempotent
    def sign_off(self, request, number=None):
        version = self.get_object()
        services.policy_sign_off(
            actor=request.user, version=version, **self._input(SignOffInputSerializer)
        )
        return self._render_version(version)

    @extend_schema(request=RejectInputSerializer, responses=PolicyVersionDetailSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def reject(self, request, number=None):
        version = services.policy_reject(
            actor=request.user, version=self.get_object(), **self._input(RejectInputSerializer)
        )
        return self._render_version(version)


class PriorityMatrixViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The grid's cells; a pair without a cell suggests no priority."""

    serializer_class = MatrixCellSerializer
    permission_classes = [IsAuthenticated]
    filter_backends = []
    pagination_class = None

    def get_queryset(self):
        return PriorityMatrixCell.objects.select_related("priority").order_by("impact", "urgency")

    # Setting a cell replaces what it held: 200, not 201.
    @extend_schema(request=MatrixCellInputSerializer, responses={200: MatrixCellSerializer})
    @idempotent
    def create(self, request):
        serializer = MatrixCellInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        cell = services.priority_matrix_set(actor=request.user, **serializer.validated_data)
        return Response(MatrixCellSerializer(cell).data)

    @extend_schema(
        parameters=[SuggestQuerySerializer],
        responses=inline_serializer(
            "PrioritySuggestion",
            {
                "impact": serializers.CharField(),
                "urgency": serializers.CharField(),
                "priority": serializers.CharField(allow_null=True),
            },
        ),
    )
    @action(detail=False, methods=["get"])
    def suggest(self, request):
        query = SuggestQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        priority = selectors.priority_suggestion(
            impact_level=query.validated_data["impact"], urgency=query.validated_data["urgency"]
        )
        return Response({**query.validated_data, "priority": priority.name if priority else None})
