"""One filter set for the portal's incident list and the API's."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from catalog.models import Service
from core.api.query import RelatedSlugsFilter
from incidents.models import Incident, IncidentStatus
from policy.models import IncidentType, SeverityLevel


class IncidentFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=IncidentStatus.choices, label=_("Status"))
    severity = RelatedSlugsFilter(
        "severity__name", SeverityLevel.objects.all(), label=_("Severity")
    )
    type = RelatedSlugsFilter("incident_type__slug", IncidentType.objects.all(), label=_("Type"))
    service = RelatedSlugsFilter("services__slug", Service.objects.all(), label=_("Service"))
    active = django_filters.BooleanFilter(method="filter_active", label=_("Active"))
    q = django_filters.CharFilter(method="filter_text", label=_("Search"))

    class Meta:
        model = Incident
        fields = ["status", "severity", "type", "service", "active", "is_drill", "q"]

    def filter_active(self, queryset, name, value):
        if value is None:
            return queryset
        active = Q(status__in=IncidentStatus.active())
        return queryset.filter(active if value else ~active)

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(reference__icontains=value)
            | Q(title__icontains=value)
            | Q(summary__icontains=value)
            | Q(channel_name__icontains=value)
        )
