"""`/critical-functions/`."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status

from core.api.idempotent import idempotent
from core.api.strict import StrictTypes
from people import services
from people.api.base import ServiceViewSet
from people.models import CriticalFunction, IncidentRoleField


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
