"""Unavailability windows."""

from django.contrib import admin
from django.forms import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.admin.forms import DeletedByServiceAdmin
from core.names import display_name
from people import services
from people.admin.base import PeopleServiceForm
from people.models import Unavailability


class UnavailabilityForm(PeopleServiceForm):
    class Meta:
        model = Unavailability
        fields = ["user", "starts_at", "ends_at", "reason", "note"]

    def call_service(self):
        if self.instance.pk is None:
            return services.unavailability_add(actor=self.actor, **self.cleaned_data)
        changes = self._changes()
        if "user" in changes:
            raise ValidationError({"user": _("A window stays with its person: add a new one.")})
        return services.unavailability_update(window=self.instance, actor=self.actor, **changes)


class WhenFilter(admin.SimpleListFilter):
    title = _("when")
    parameter_name = "when"

    def lookups(self, request, model_admin):
        return [("now", _("Now")), ("upcoming", _("Upcoming")), ("past", _("Past"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        return {
            "now": queryset.filter(starts_at__lte=now, ends_at__gt=now),
            "upcoming": queryset.filter(starts_at__gt=now),
            "past": queryset.filter(ends_at__lte=now),
        }.get(self.value(), queryset)


@admin.register(Unavailability)
class UnavailabilityAdmin(DeletedByServiceAdmin, admin.ModelAdmin):
    form = UnavailabilityForm
    remove_service = staticmethod(services.unavailability_remove)
    remove_argument = "window"
    list_display = ["person", "reason", "starts_at", "ends_at", "note", "now"]
    list_filter = [WhenFilter, "reason"]
    list_select_related = ["user"]
    date_hierarchy = "starts_at"
    search_fields = ["user__username", "user__first_name", "user__last_name", "note"]
    autocomplete_fields = ["user"]

    @admin.display(description=_("person"), ordering="user__username")
    def person(self, window):
        return display_name(window.user)

    @admin.display(description=_("now"), boolean=True)
    def now(self, window):
        return window.starts_at <= timezone.now() < window.ends_at
