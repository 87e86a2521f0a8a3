import django_filters
from django.utils.translation import gettext_lazy as _

from notifications.models import Channel, Delivery, DeliveryStatus, NotificationAudience


# django-filter ships no types: its classes are Any to the type checker.
class DeliveryFilter(django_filters.FilterSet):  # type: ignore[misc]
    """`?status=&channel=&audience=`; each may be repeated to match any of its values."""

    status = django_filters.MultipleChoiceFilter(choices=DeliveryStatus.choices, label=_("Status"))
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices, label=_("Channel"))
    audience = django_filters.MultipleChoiceFilter(
        field_name="notification__audience",
        choices=NotificationAudience.choices,
        label=_("Audience"),
    )

    class Meta:
        model = Delivery
        fields = ["status", "channel", "audience"]
