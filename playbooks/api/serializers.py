"""Input serializers parse what a playbook service takes; output serializers render what it
returns. Input checks stop at the shape (types, choices, known slugs); the services own the rules
and their messages. Related objects are looked up among those the reader may see."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog import selectors as catalog_selectors
from catalog.models import Service
from core.api.fields import read_only_username, strings_field, text_field
from core.api.strict import InputSerializer
from people.models import Team
from playbooks import selectors, services
from playbooks.models import (
    Playbook,
    PlaybookApproval,
    PlaybookEvent,
    PlaybookStep,
    PlaybookVersion,
    Verification,
    VerificationMethod,
    VerificationOutcome,
)
from policy.models import IncidentType


def _slug(**kwargs):
    return serializers.SlugRelatedField(slug_field="slug", read_only=True, **kwargs)


class VisibleQuerysetMixin:
    """Limits the named related fields to the services (and their playbooks) the user sees."""

    visible_fields = {}  # field name → "services" or "playbooks"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        user = request.user if request else None
        services_seen = catalog_selectors.visible_services(user)
        querysets = {
            "services": services_seen,
            "playbooks": Playbook.objects.filter(service__in=services_seen),
        }
        for name, kind in self.visible_fields.items():
            field = self.fields[name]
            field = getattr(field, "child_relation", field)
            field.queryset = querysets[kind]


# --- Input ----------------------------------------------------------------------------------


class ServiceLinkSerializer(InputSerializer):
    label = serializers.CharField(max_length=100)
    url = serializers.URLField()


class ServiceInputSerializer(VisibleQuerysetMixin, InputSerializer):
    visible_fields = {"dependencies": "services"}

    name = text_field(max_length=100)
    slug = text_field(max_length=100)
    description = text_field(required=False)
    owner_team = serializers.SlugRelatedField(
        slug_field="slug", queryset=Team.objects.all(), help_text=_("The owner team's slug.")
    )
    tier = serializers.IntegerField(required=False, help_text=_("1 = critical, 3 = low."))
    environments = strings_field(required=False)
    regions = strings_field(required=False)
    links = ServiceLinkSerializer(many=True, required=False)
    dependencies = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Service.objects.none(),
        many=True,
        required=False,
        help_text=_("Slugs of the services this one depends on."),
    )
    is_active = serializers.BooleanField(required=False)


class PlaybookVersionStepInputSerializer(InputSerializer):
    text = text_field(max_length=300)
    expected_outcome = text_field(required=False, max_length=300)
    command = text_field(required=False, max_length=500)
    link = text_field(required=False, max_length=200)


class PlaybookInputSerializer(VisibleQuerysetMixin, InputSerializer):
    visible_fields = {"service": "services"}

    service = serializers.SlugRelatedField(
        slug_field="slug", queryset=Service.objects.none(), help_text=_("The service's slug.")
    )
    incident_type = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=IncidentType.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("Leave out for the service's general playbook."),
    )
    title = text_field(max_length=200)
    content = text_field(required=False, help_text=_("Markdown of the first draft."))
    steps = PlaybookVersionStepInputSerializer(many=True, required=False)


class PlaybookVersionCreateSerializer(VisibleQuerysetMixin, InputSerializer):
    visible_fields = {"playbook": "playbooks"}

    playbook = serializers.PrimaryKeyRelatedField(queryset=Playbook.objects.none())
    content = text_field(
        required=False,
        help_text=_("Markdown; the approved (or latest) version's when left out."),
    )
    steps = PlaybookVersionStepInputSerializer(
        many=True,
        required=False,
        help_text=_("In order; the approved (or latest) version's when left out."),
    )


class PlaybookVersionEditSerializer(InputSerializer):
    content = text_field(help_text=_("Markdown."))
    steps = PlaybookVersionStepInputSerializer(
        many=True, help_text=_("In order; replaces every step.")
    )


class PlaybookApproveSerializer(InputSerializer):
    comment = text_field(required=False, default="")


class PlaybookRejectSerializer(InputSerializer):
    reason = text_field(help_text=_("What has to change."))


class PlaybookVerifySerializer(InputSerializer):
    method = serializers.ChoiceField(choices=VerificationMethod.choices)
    outcome = serializers.ChoiceField(choices=VerificationOutcome.choices)
    evidence = text_field(help_text=_("What was run and what it showed."))
    verified_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text=_("When it was exercised; now when left out.")
    )


# --- Output ---------------------------------------------------------------------------------


class ServiceCoverageSerializer(serializers.Serializer):
    """A service's playbook state, as the coverage report shows it."""

    approved = serializers.BooleanField(
        source="has_approved", read_only=True, help_text=_("Has an approved playbook.")
    )
    verified_current = serializers.BooleanField(
        read_only=True, help_text=_("Its last verification passed and is not yet due again.")
    )
    covered = serializers.BooleanField(source="is_covered", read_only=True)
    last_verified_at = serializers.DateTimeField(
        source="last_verification.verified_at", read_only=True, allow_null=True
    )
    reverify_due_at = serializers.DateTimeField(read_only=True, allow_null=True)
    days_until_reverification = serializers.IntegerField(
        read_only=True, allow_null=True, help_text=_("Negative once overdue; null if unverified.")
    )
    pending_reviews = serializers.IntegerField(read_only=True)


class PlaybookCoverageRowSerializer(ServiceCoverageSerializer):
    service = serializers.CharField(source="service.slug", read_only=True)
    name = serializers.CharField(source="service.name", read_only=True)
    tier = serializers.IntegerField(source="service.tier", read_only=True)
    owner_team = serializers.CharField(source="service.owner_team.slug", read_only=True)


class PlaybookCoverageSerializer(serializers.Serializer):
    covered = serializers.IntegerField(read_only=True)
    total = serializers.IntegerField(read_only=True)
    services = PlaybookCoverageRowSerializer(many=True, read_only=True)


class ServiceSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:service-detail", lookup_field="slug")
    owner_team = _slug()
    dependencies = _slug(many=True)
    environments = strings_field(read_only=True)
    regions = strings_field(read_only=True)
    links = ServiceLinkSerializer(many=True, read_only=True)
    coverage = serializers.SerializerMethodField()

    class Meta:
        model = Service
        fields = [
            "url",
            "slug",
            "name",
            "description",
            "owner_team",
            "tier",
            "environments",
            "regions",
            "dependencies",
            "links",
            "is_active",
            "coverage",
        ]
        read_only_fields = fields

    @extend_schema_field(ServiceCoverageSerializer)
    def get_coverage(self, service):
        return ServiceCoverageSerializer(selectors.service_coverage(service)).data


class PlaybookVersionSummarySerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:playbook-version-detail")

    class Meta:
        model = PlaybookVersion
        fields = ["url", "id", "number", "status"]
        read_only_fields = fields


class PlaybookSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:playbook-detail")
    service = _slug()
    incident_type = _slug(allow_null=True)
    approved_version = serializers.IntegerField(
        read_only=True, allow_null=True, help_text=_("The number of the approved version.")
    )

    class Meta:
        model = Playbook
        fields = ["url", "id", "title", "service", "incident_type", "approved_version"]
        read_only_fields = fields


class PlaybookDetailSerializer(PlaybookSerializer):
    versions = PlaybookVersionSummarySerializer(many=True, read_only=True)

    class Meta(PlaybookSerializer.Meta):
        fields = [*PlaybookSerializer.Meta.fields, "versions"]
        read_only_fields = fields


class PlaybookVersionStepSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlaybookStep
        fields = ["position", "text", "expected_outcome", "command", "link"]
        read_only_fields = fields


class PlaybookApprovalSerializer(serializers.ModelSerializer):
    approver = read_only_username()

    class Meta:
        model = PlaybookApproval
        fields = ["approver", "approved_at", "comment"]
        read_only_fields = fields


class VerificationSerializer(serializers.ModelSerializer):
    verified_by = read_only_username()

    class Meta:
        model = Verification
        fields = ["verified_by", "verified_at", "method", "outcome", "evidence", "recorded_at"]
        read_only_fields = fields


class PlaybookEventSerializer(serializers.ModelSerializer):
    actor = read_only_username()

    class Meta:
        model = PlaybookEvent
        fields = ["kind", "actor", "created_at", "message"]
        read_only_fields = fields


class PlaybookVersionSerializer(serializers.ModelSerializer):
    """A version as lists show it; `status` changes only through the actions."""

    url = serializers.HyperlinkedIdentityField(view_name="api:playbook-version-detail")
    playbook = serializers.PrimaryKeyRelatedField(read_only=True)
    service = serializers.CharField(source="playbook.service.slug", read_only=True)
    author = read_only_username()
    approvals_given = serializers.IntegerField(read_only=True)
    approvals_required = serializers.SerializerMethodField()

    class Meta:
        model = PlaybookVersion
        fields = [
            "url",
            "id",
            "playbook",
            "service",
            "number",
            "status",
            "author",
            "created_at",
            "submitted_at",
            "decided_at",
            "superseded_at",
            "rejection_reason",
            "approvals_given",
            "approvals_required",
        ]
        read_only_fields = fields

    def get_approvals_required(self, version) -> int:
        return services.approvals_required(version.playbook.service)


class PlaybookVersionDetailSerializer(PlaybookVersionSerializer):
    content_html = serializers.SerializerMethodField(
        help_text=_("The content rendered as HTML, safe to show.")
    )
    steps = PlaybookVersionStepSerializer(many=True, read_only=True)
    approvals = PlaybookApprovalSerializer(many=True, read_only=True)
    verifications = VerificationSerializer(many=True, read_only=True)
    events = PlaybookEventSerializer(many=True, read_only=True)
    approved_version = serializers.SerializerMethodField(
        help_text=_("The number of the playbook's approved version.")
    )
    diff = serializers.SerializerMethodField(
        help_text=_("A unified diff against the approved version; empty for that one.")
    )

    class Meta(PlaybookVersionSerializer.Meta):
        fields = [
            *PlaybookVersionSerializer.Meta.fields,
            "content",
            "content_html",
            "steps",
            "approvals",
            "verifications",
            "events",
            "approved_version",
            "diff",
        ]
        read_only_fields = fields

    def _approved(self, version):
        if not hasattr(version, "_approved_version"):
            version._approved_version = selectors.approved_version(version.playbook)
        return version._approved_version

    def get_content_html(self, version) -> str:
        return selectors.render_markdown(version.content)

    def get_approved_version(self, version) -> int | None:
        approved = self._approved(version)
        return approved.number if approved else None

    def get_diff(self, version) -> str:
        return selectors.version_diff(version, self._approved(version))
