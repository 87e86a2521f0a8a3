"""Teams, critical functions, delegations and unavailability windows, saved through
people/services.py; and the single-points-of-failure report.

Like the incident admin, the add and change forms call their service as the last step of
validation so that a refusal ("Rank 2 … is already held by Pat", "Rudy is not a member of
Payments") re-renders the form with its message. Deletions go through the services too.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Prefetch
from django.forms import ValidationError
from django.forms.models import BaseInlineFormSet, construct_instance
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.admin.forms import SavedByServiceAdmin, ServiceModelForm
from core.admin.refusals import REFUSALS, refusal_messages
from core.names import display_name
from people import services
from people.models import CriticalFunction, Delegation, Team, TeamMembership, Unavailability
from people.selectors import SPOF_HORIZON, coverage, single_points_of_failure


class PeopleServiceForm(ServiceModelForm):
    """A ServiceModelForm whose service checks uniqueness."""

    def _post_clean(self):
        """ModelForm's, with the model's field checks only, then the service call.

        The constraints and uniqueness are the service's to refuse, in its own words ("Rank 2
        of … is already held by Pat") rather than Django's ("Constraint … is violated").
        """
        exclude = self._get_validation_exclusions()
        try:
            self.instance = construct_instance(
                self, self.instance, self._meta.fields, self._meta.exclude
            )
        except ValidationError as error:
            self._update_errors(error)
        try:
            self.instance.full_clean(
                exclude=exclude, validate_unique=False, validate_constraints=False
            )
        except ValidationError as error:
            self._update_errors(error)
        self._call_service_when_valid()

    def _changes(self):
        return {field: self.cleaned_data[field] for field in self.changed_data}


class ServiceAdmin(SavedByServiceAdmin, admin.ModelAdmin):
    """Saves and deletes through services: the form's service call already saved."""

    remove_service = None  # staticmethod(services.<entity>_remove)
    remove_argument = None  # its keyword for the object

    def delete_model(self, request, obj):
        self.remove_service(actor=request.user, **{self.remove_argument: obj})

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)


# --- Teams ----------------------------------------------------------------------------------


class TeamForm(PeopleServiceForm):
    class Meta:
        model = Team
        fields = list(services.TEAM_FIELDS)

    def call_service(self):
        if self.instance.pk is None:
            team = services.team_create(actor=self.actor, **self.cleaned_data)
        else:
            team = services.team_update(team=self.instance, actor=self.actor, **self._changes())
        # The members' formset holds this form's instance: make it the team the service saved,
        # and let the formset call its own services (MembershipFormSet.clean).
        for field in Team._meta.concrete_fields:
            setattr(self.instance, field.attname, getattr(team, field.attname))
        self.instance._state.adding = False
        self.instance.saved_by_service = True
        return self.instance


class _Refused(Exception):
    pass


class MembershipFormSet(BaseInlineFormSet):
    """Adds, changes and removes members through the services once the team is saved.

    All or nothing: one refusal rolls the other member changes back and is shown above the
    members. The team's own fields, which the form's service call saved just before, stay saved.
    """

    actor = None  # set per request by TeamAdmin.get_formset

    def clean(self):
        super().clean()
        self.new_objects, self.changed_objects, self.deleted_objects = [], [], []
        if any(self.errors) or not getattr(self.instance, "saved_by_service", False):
            return
        refusals = []
        try:
            with transaction.atomic():
                for form in self.forms:
                    try:
                        self._apply(form)
                    except REFUSALS as error:
                        refusals += refusal_messages(error)
                if refusals:
                    raise _Refused
        except _Refused:
            self.new_objects, self.changed_objects, self.deleted_objects = [], [], []
            raise ValidationError(refusals) from None

    def _apply(self, form):
        team, membership = self.instance, form.instance
        removing = self.can_delete and self._should_delete_form(form)
        if membership.pk is not None:
            stored = TeamMembership.objects.select_related("user").get(pk=membership.pk)
            user_changed = "user" in form.changed_data
            if removing or user_changed:
                services.team_member_remove(actor=self.actor, team=team, user=stored.user)
                self.deleted_objects.append(stored)
            if removing:
                return
            if not form.changed_data:
                return
        elif removing or not form.has_changed():
            return
        added = services.team_member_add(
            actor=self.actor,
            team=team,
            user=form.cleaned_data["user"],
            is_lead=form.cleaned_data.get("is_lead", False),
        )
        if membership.pk is None or "user" in form.changed_data:
            self.new_objects.append(added)
        else:
            self.changed_objects.append((added, form.changed_data))


class MembershipInline(admin.TabularInline):
    model = TeamMembership
    formset = MembershipFormSet
    fields = ["user", "is_lead"]
    autocomplete_fields = ["user"]
    extra = 1

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.actor = request.user
        return formset

    # Members are part of the team: changing them is changing the team (as in the services).
    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("people.view_team") or self._may_change(request)

    def has_add_permission(self, request, obj=None):
        return self._may_change(request)

    def has_change_permission(self, request, obj=None):
        return self._may_change(request)

    def has_delete_permission(self, request, obj=None):
        return self._may_change(request)

    def _may_change(self, request):
        return request.user.has_perm("people.change_team")


@admin.register(Team)
class TeamAdmin(ServiceAdmin):
    form = TeamForm
    list_display = ["name", "slug", "member_count", "lead_names", "signs_off_policy"]
    list_filter = ["signs_off_policy"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]

    def get_queryset(self, request):
        leads = TeamMembership.objects.filter(is_lead=True).select_related("user")
        return (
            super()
            .get_queryset(request)
            .annotate(member_count=Count("memberships"))
            .prefetch_related(Prefetch("memberships", queryset=leads, to_attr="lead_memberships"))
        )

    @admin.display(description=_("members"), ordering="member_count")
    def member_count(self, team):
        return team.member_count

    @admin.display(description=_("leads"))
    def lead_names(self, team):
        return ", ".join(display_name(m.user) for m in team.lead_memberships) or "—"

    def has_delete_permission(self, request, obj=None):
        return False  # teams stay: incidents and policy sign-offs refer to them


# --- Critical functions ---------------------------------------------------------------------


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
class CriticalFunctionAdmin(ServiceAdmin):
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


# --- Delegations ----------------------------------------------------------------------------


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
class DelegationAdmin(ServiceAdmin):
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
            "changelist_url": reverse("admin:people_delegation_changelist"),
        }
        return TemplateResponse(request, "admin/people/delegation/spof.html", context)


# --- Unavailability -------------------------------------------------------------------------


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
class UnavailabilityAdmin(ServiceAdmin):
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
