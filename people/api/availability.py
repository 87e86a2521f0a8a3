"""`/unavailability/`: anyone may add or remove their own windows."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status

from core.api.fields import FullNameField, read_only_username, username_field
from core.api.idempotent import idempotent
from core.api.strict import InputSerializer
from people import services
from people.api.base import ServiceViewSet
from people.models import Unavailability, UnavailabilityReason


class UnavailabilitySerializer(serializers.ModelSerializer):
    user = read_only_username()
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
