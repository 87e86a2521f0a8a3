"""The API schema and its Swagger UI: for signed-in users (session or token) unless
BEACON_PUBLIC_API_DOCS opens them to anyone."""

from django.conf import settings
from django.contrib.auth.decorators import user_passes_test
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer


def _may_read(user):
    return settings.BEACON_PUBLIC_API_DOCS or user.is_authenticated


class MayReadDocs(BasePermission):
    def has_permission(self, request, view):
        return _may_read(request.user)


class SchemaView(SpectacularAPIView):
    permission_classes = [MayReadDocs]

    def handle_exception(self, exc):
        # A refusal is JSON like the rest of the API, whichever schema format was asked for.
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)


schema = SchemaView.as_view()
# A browser without a session is sent to the login page, and back here after it.
docs = user_passes_test(_may_read)(
    SpectacularSwaggerView.as_view(url_name="schema", permission_classes=[MayReadDocs])
)
