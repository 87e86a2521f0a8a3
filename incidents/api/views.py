from rest_framework import viewsets


class IncidentViewSet(viewsets.GenericViewSet):
    """Placeholder replaced by the full API."""
