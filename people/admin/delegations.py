"""Delegations, and the single-points-of-failure page."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.admin.forms import DeletedByServiceAdmin
from core.names import display_name
from people import services
from people.admin.base import PeopleServiceForm
from people.models import Delegation, Team, Unavailability
from people.selectors import SPOF_HORIZON, coverage, single_points_of_failure


class DelegationForm(PeopleServiceForm):
    class Meta:
        model = Delegation
        fields = ["function", "team", "user", "rank"]

    def call_service(self):
        return services.delegation_set(
            actor=self.actor,
            delegation=self.instance if self.instance.pk else None,
            **self.cleaned_data,
        )


def unavailable_now_q(now):
    return Exists(
        Unavailability.objects.filter(user=OuterRef("user"), starts_at__lte=now, ends_at__gt=now)
    )


class ScopeFilter(admin.SimpleListFilter):
    title = _("scope")
    parameter_name = "scope"
    ORGANISATION = "organisation"

    def lookups(self, request, model_admin):
        teams = Team.objects.filter(delegations__isnull=False).distinct().order_by("name")
        return [(self.ORGANISATION, _("Organisation")), *[(t.slug, t.name) for t in teams]]

    def queryset(self, request, queryset):
        if self.value() == self.ORGANISATION:
            return queryset.filter(team__isnull=True)
        if self.value():
            return queryset.filter(team__slug=self.value())
        return queryset


@admin.register(Delegation)
class DelegationAdmin(DeletedByServiceAdmin, admin.ModelAdmin):
    form = DelegationForm
    remove_service = staticmethod(services.delegation_remove)
    remove_argument = "delegation"
    list_display = ["function", "scope", "rank", "delegate", "available_now"]
    list_display_links = ["function", "rank"]
    list_filter = ["function", ScopeFilter]
    list_select_related = ["function", "team", "user"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "function__name"]
    autocomplete_fields = ["user"]
    change_list_template = "admin/people/delegation/change_list.html"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(unavailable_now=unavailable_now_q(timezone.now()))
        )

    @admin.display(description=_("scope"), ordering="team__name")
    def scope(self, delegation):
        return delegation.team.name if delegation.team else _("Organisation")

    @admin.display(description=_("delegate"), ordering="user__username")
    def delegate(self, delegation):
        return display_name(delegation.user)

    @admin.display(description=_("available now"), boolean=True)
    def available_now(self, delegation):
        return delegation.user.is_active and not delegation.unavailable_now

    def get_urls(self):
        spof = self.admin_site.admin_view(self.single_points_of_failure_view)
        return [
            path("single-points-of-failure/", spof, name="people_delegation_spof"),
            *super().get_urls(),
        ]

    def single_points_of_failure_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        show_all = request.GET.get("all") == "1"
        rows = coverage() if show_all else single_points_of_failure()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Single points of failure"),
            "rows": rows,
            "show_all": show_all,
            "horizon_days": SPOF_HORIZON.days,
        }
        return TemplateResponse(request, "admin/people/delegation/spof.html", context)
