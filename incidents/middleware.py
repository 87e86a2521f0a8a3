import zoneinfo

from django.utils import timezone

from people.models import UserPreference


class UserTimezoneMiddleware:
    """Show times in the signed-in user's time zone; they are stored in UTC."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        zone = None
        if user is not None and user.is_authenticated:
            zone = (
                UserPreference.objects.filter(user=user).values_list("time_zone", flat=True).first()
            )
        if zone:
            timezone.activate(zoneinfo.ZoneInfo(str(zone)))
        else:
            timezone.deactivate()
        return self.get_response(request)
