"""Critical functions."""

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from core.admin.forms import DeletedByServiceAdmin
from people import services
from people.admin.base import PeopleServiceForm
from people.models import CriticalFunction


class CriticalFunctionForm(PeopleServiceForm):
    class Meta:
        model = CriticalFunction
        fields = list(services.FUNCTION_FIELDS)

    def call_service(self):
        if self.instance.pk is None:
            return services.critical_function_create(actor=self.actor, **self.cleaned_data)
        return services.critical_function_update(
            function=self.instance, actor=self.actor, **self._changes()
        )


@admin.register(CriticalFunction)
class CriticalFunctionAdmin(DeletedByServiceAdmin, admin.ModelAdmin):
    form = CriticalFunctionForm
    list_display = [
        "name",
        "position",
        "incident_field",
        "cost_weight",
        "is_active",
        "delegate_count",
    ]
    list_display_links = ["name"]
    list_filter = ["is_active", "incident_field"]
    ordering = ["position", "name"]
    search_fields = ["name", "slug", "duties"]
    prepopulated_fields = {"slug": ["name"]}
    fields = ["name", "slug", "duties", "position", "is_active", "incident_field", "cost_weight"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(delegate_count=Count("delegations"))

    @admin.display(description=_("delegations"), ordering="delegate_count")
    def delegate_count(self, function):
        return function.delegate_count

    def has_delete_permission(self, request, obj=None):
        return False  # incidents' role history refers to functions: deactivate instead
