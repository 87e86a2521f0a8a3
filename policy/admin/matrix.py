"""The priority matrix in the admin: the impact × urgency grid, each cell saved through
`services.priority_matrix_set` with the signed-in user, which records the change."""

from django.contrib import admin
from django.db.models import Case, IntegerField, Value, When

from core.admin.forms import SavedByServiceAdmin, ServiceModelForm
from policy import services
from policy.models import Impact, PriorityMatrixCell, Urgency


def _rank(field, choices):
    return Case(
        *[When(**{field: value}, then=Value(i)) for i, value in enumerate(choices.values)],
        output_field=IntegerField(),
    )


class PriorityMatrixCellForm(ServiceModelForm):
    class Meta:
        model = PriorityMatrixCell
        fields = ["impact", "urgency", "priority"]

    def call_service(self):
        return services.priority_matrix_set(
            actor=self.actor,
            impact=self.cleaned_data.get("impact", self.instance.impact),
            urgency=self.cleaned_data.get("urgency", self.instance.urgency),
            priority=self.cleaned_data["priority"],
        )


@admin.register(PriorityMatrixCell)
class PriorityMatrixCellAdmin(SavedByServiceAdmin, admin.ModelAdmin):
    """The impact × urgency grid; declaration suggests the priority of the matching cell."""

    list_display = ["impact", "urgency", "priority"]
    list_display_links = ["impact", "urgency"]
    list_filter = ["impact", "urgency", "priority"]
    list_select_related = ["priority"]
    form = PriorityMatrixCellForm

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(impact_rank=_rank("impact", Impact), urgency_rank=_rank("urgency", Urgency))
            .order_by("impact_rank", "urgency_rank")
        )

    def get_readonly_fields(self, request, obj=None):
        # A cell keeps its place in the grid; only its priority changes.
        return ["impact", "urgency"] if obj else []

    def has_delete_permission(self, request, obj=None):
        return False  # change a cell's priority instead
