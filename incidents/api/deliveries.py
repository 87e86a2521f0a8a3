"""The outbox on the API: `POST /deliveries/{id}/retry/` sends a failed or waiting delivery
again now (holders of `notifications.change_delivery`; anyone else 403). A delivery about an
incident the caller may not see answers 404. An incident's deliveries are listed under the
incident: `/incidents/{ref}/deliveries/` (plan.py). It lives here, not in notifications, for
its idempotency keys; who may see which delivery is the outbox's rule (notifications/about.py).
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from core.api.idempotent import idempotent
from notifications import about
from notifications.api.serializers import DeliverySerializer
from notifications.models import Delivery
from notifications.services import delivery_retry


class MayRetryDeliveries(BasePermission):
    message = _("You are not allowed to retry deliveries.")

    def has_permission(self, request, view):
        return request.user.has_perm("notifications.change_delivery")


class DeliveryViewSet(viewsets.GenericViewSet):
    serializer_class = DeliverySerializer
    permission_classes = [IsAuthenticated, MayRetryDeliveries]

    def get_queryset(self):
        return Delivery.objects.filter(
            about.visible_q(self.request.user, prefix="notification__")
        ).select_related("notification", "recipient")

    @extend_schema(request=None, responses=DeliverySerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def retry(self, request, pk=None):
        """Send a failed or waiting delivery again now, with a fresh set of attempts."""
        delivery = delivery_retry(delivery=self.get_object(), actor=request.user)
        return Response(self.get_serializer(delivery).data)
