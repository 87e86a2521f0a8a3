"""Teams, with their members as an inline."""

from django.contrib import admin
from django.db import transaction
from django.db.models import Count, Prefetch
from django.forms import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from core.admin.forms import DeletedByServiceAdmin
from core.admin.refusals import REFUSALS, refusal_messages
from core.names import display_name
from people import services
from people.admin.base import PeopleServiceForm
from people.models import Team, TeamMembership


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
class TeamAdmin(DeletedByServiceAdmin, admin.ModelAdmin):
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
