"""Response plans in the admin: steps and communication methods edited inline, everything saved
through response/services.py.

The plan's form saves, as its last check, the plan and the rows of both inlines through the
services (`response_plan_create`, or `response_plan_update` then `response_plan_parts_set`), so a
refusal shows on the form and nothing is saved. Each method row is checked by `method_errors`
first, its messages shown on the row's fields. An active plan is checked whole by the service,
with its steps and methods as the page would leave them: if the edit breaks `plan_errors`, the
page is shown again with the messages. An active plan keeps its scope (incident type and
severity) and is not deleted: deactivate it first, since activation is where a scope is checked
against the other active plans. An inactive plan is deleted through `response_plan_delete`. The
plan's history is listed last, read-only, and every plan's (a deleted plan's too) on its own list.
"""

from operator import attrgetter

from django import forms
from django.contrib import admin
from django.db import transaction
from django.db.models import Count
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from core.admin.actions import apply_each, prefixed
from core.admin.forms import (
    DeletedByServiceAdmin,
    PartsAdmin,
    PartsFormSet,
    ServiceModelForm,
)
from core.admin.read_only import ReadOnly, ReadOnlyInline
from response.models import (
    CommunicationMethod,
    ResponsePlan,
    ResponsePlanEvent,
    ResponsePlanStep,
)
from response.services import (
    PLAN_FIELDS,
    method_errors,
    plan_errors,
    response_plan_activate,
    response_plan_create,
    response_plan_deactivate,
    response_plan_delete,
    response_plan_parts_set,
    response_plan_update,
)

ACTIVATED = ngettext_lazy(
    "Activated %(count)d response plan: %(plans)s.",
    "Activated %(count)d response plans: %(plans)s.",
    "count",
)
DEACTIVATED = ngettext_lazy(
    "Deactivated %(count)d response plan: %(plans)s.",
    "Deactivated %(count)d response plans: %(plans)s.",
    "count",
)
METHOD_FIELDS = ["channel", "target", "address"]


class ResponsePlanForm(ServiceModelForm):
    # The page's steps and methods formsets by model, set by the admin per request. They are
    # built before the form is validated, so its service call can hand over their rows.
    page = {}

    def call_service(self):
        formsets = [self.page.get(ResponsePlanStep), self.page.get(CommunicationMethod)]
        if not all(formset is None or formset.is_valid() for formset in formsets):
            return self.instance  # the rows show their errors, and the admin saves nothing
        steps, methods = (
            None if formset is None or not formset.has_changed() else formset.kept()
            for formset in formsets
        )
        with transaction.atomic():  # a refusal of the second call undoes the first
            if self.instance.pk is None:
                fields = {f: v for f, v in self.cleaned_data.items() if f in PLAN_FIELDS}
                return response_plan_create(
                    actor=self.actor, steps=steps or (), methods=methods or (), **fields
                )
            changes = {f: self.cleaned_data[f] for f in self.changed_data if f in PLAN_FIELDS}
            plan = response_plan_update(actor=self.actor, plan=self.instance, **changes)
            return response_plan_parts_set(
                actor=self.actor, plan=plan, steps=steps, methods=methods
            )


class CommunicationMethodForm(forms.ModelForm):
    class Meta:
        model = CommunicationMethod
        fields = ["audience", "rank", "channel", "target", "address"]

    def clean(self):
        data = super().clean()
        if not any(self.has_error(field) for field in METHOD_FIELDS):
            method = CommunicationMethod(**{field: data[field] for field in METHOD_FIELDS})
            for field, message in method_errors(method).items():
                self.add_error(field, message)
        return data


class PlanPartInline(admin.TabularInline):
    """Steps and methods are part of their plan: who may add or change the plan edits them, as
    in the services."""

    formset = PartsFormSet
    extra = 1

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("response.view_responseplan") or self._may_edit(request, obj)

    def has_add_permission(self, request, obj=None):
        return self._may_edit(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._may_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_edit(request, obj)

    def _may_edit(self, request, plan):
        action = "add" if plan is None else "change"
        return request.user.has_perm(f"response.{action}_responseplan")


class StepInline(PlanPartInline):
    model = ResponsePlanStep
    fields = ["position", "action", "title", "audience", "function"]
    verbose_name_plural = _("steps, in order of position")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("function").order_by("position", "pk")


class CommunicationMethodInline(PlanPartInline):
    model = CommunicationMethod
    form = CommunicationMethodForm
    fields = ["audience", "rank", "channel", "target", "address"]
    verbose_name_plural = _("communication methods (rank 0 is the primary, then the backups)")


class EventInline(ReadOnlyInline):
    """Who changed the plan, how, and when; written by response/services.py only."""

    model = ResponsePlanEvent
    fields = ["created_at", "kind", "actor", "message"]
    readonly_fields = fields
    related = ("actor",)
    verbose_name_plural = _("history")


@admin.register(ResponsePlanEvent)
class ResponsePlanEventAdmin(ReadOnly, admin.ModelAdmin):
    """The plans' audit, written by response/services.py only."""

    list_display = ["created_at", "plan_name", "kind", "actor", "message"]
    list_filter = ["kind"]
    list_select_related = ["actor"]
    search_fields = ["plan_name", "message", "actor__username"]
    fields = ["created_at", "plan", "plan_name", "kind", "actor", "message"]
    readonly_fields = fields


# How `apply_each` names plans, in its success message and in each refusal.
PLANS = {"name": attrgetter("name"), "names": "plans", "refusal": prefixed(str)}


@admin.action(description=_("Activate"), permissions=["change"])
def activate(modeladmin, request, queryset):
    apply_each(
        modeladmin,
        request,
        queryset.order_by("name"),
        lambda plan: response_plan_activate(plan=plan, actor=request.user),
        ACTIVATED,
        **PLANS,
    )


@admin.action(description=_("Deactivate"), permissions=["change"])
def deactivate(modeladmin, request, queryset):
    apply_each(
        modeladmin,
        request,
        queryset.order_by("name"),
        lambda plan: response_plan_deactivate(plan=plan, actor=request.user),
        DEACTIVATED,
        **PLANS,
    )


@admin.register(ResponsePlan)
class ResponsePlanAdmin(PartsAdmin, DeletedByServiceAdmin, admin.ModelAdmin):
    form = ResponsePlanForm
    remove_service = staticmethod(response_plan_delete)
    remove_argument = "plan"
    list_display = ["name", "incident_type", "severity", "is_active", "step_count", "method_count"]
    list_filter = ["is_active", "incident_type", "severity"]
    list_select_related = ["incident_type", "severity"]
    search_fields = ["name", "description"]
    actions = [activate, deactivate]
    fields = ["name", "incident_type", "severity", "description", "is_active", "problems"]
    readonly_fields = ["is_active", "problems"]
    inlines = [StepInline, CommunicationMethodInline, EventInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_steps=Count("steps", distinct=True),
                n_methods=Count("communication_methods", distinct=True),
            )
        )

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # it would delete active plans too
        return actions

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_active:
            return False  # deactivate it first
        return super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_active:
            return [*self.readonly_fields, "incident_type", "severity"]
        return self.readonly_fields

    @admin.display(description=_("steps"), ordering="n_steps")
    def step_count(self, plan):
        return plan.n_steps

    @admin.display(description=_("methods"), ordering="n_methods")
    def method_count(self, plan):
        return plan.n_methods

    @admin.display(description=_("before it can be active"))
    def problems(self, plan):
        if plan.pk is None:
            return None
        errors = plan_errors(
            steps=list(plan.steps.all()), methods=list(plan.communication_methods.all())
        )
        if not errors:
            return _("Nothing: every audience has a backup method.")
        return format_html_join("", "<div>{}</div>", ((e,) for e in errors))
