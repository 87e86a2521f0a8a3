"""Response plans in the admin: steps and communication methods edited inline, activation and
deactivation as actions through response/services.py.

Each method row is checked by `method_errors`, its messages shown on the row's fields. An active
plan is checked whole when saved, with its steps and methods as the page would leave them: if
the edit breaks `plan_errors`, the page is shown again with the messages and nothing is saved.
An active plan keeps its scope (incident type and severity) and is not deleted: deactivate it
first, since activation is where a scope is checked against the other active plans. Who
activated and deactivated the plan is listed last, read-only.
"""

from operator import attrgetter

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from core.admin.actions import apply_each, prefixed
from response.models import (
    CommunicationMethod,
    ResponsePlan,
    ResponsePlanEvent,
    ResponsePlanStep,
)
from response.services import (
    method_errors,
    plan_errors,
    response_plan_activate,
    response_plan_deactivate,
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


class PlanPartsFormSet(BaseInlineFormSet):
    """The steps or the methods of a plan. Both formsets of a page register in `page`, so
    that an active plan is checked with the steps and methods as they would be saved."""

    def __init__(self, *args, page=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.page = {} if page is None else page
        self.page[self.model] = self

    def kept(self):
        """The rows as saving would leave them; each form's instance carries its values."""
        return [
            form.instance
            for form in self.forms
            if (form.instance.pk or form.has_changed())
            and not (self.can_delete and self._should_delete_form(form))
        ]


class MethodFormSet(PlanPartsFormSet):
    def clean(self):
        super().clean()
        plan = self.instance
        if not plan.is_active or any(self.errors):
            return
        steps = self.page.get(ResponsePlanStep)
        if steps is not None and not steps.is_valid():
            return  # the steps' own errors come first
        errors = plan_errors(
            steps=steps.kept() if steps is not None else list(plan.steps.all()),
            methods=self.kept(),
        )
        if errors:
            raise ValidationError(
                [_("This plan is active: %(problem)s") % {"problem": e} for e in errors]
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


class StepInline(admin.TabularInline):
    model = ResponsePlanStep
    formset = PlanPartsFormSet
    fields = ["position", "action", "title", "audience", "function"]
    extra = 1
    verbose_name_plural = _("steps, in order of position")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("function").order_by("position", "pk")


class CommunicationMethodInline(admin.TabularInline):
    model = CommunicationMethod
    form = CommunicationMethodForm
    formset = MethodFormSet
    fields = ["audience", "rank", "channel", "target", "address"]
    extra = 1
    verbose_name_plural = _("communication methods (rank 0 is the primary, then the backups)")


class EventInline(admin.TabularInline):
    """Who activated and deactivated the plan, and when; written by response/services.py only."""

    model = ResponsePlanEvent
    fields = ["created_at", "kind", "actor"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("activations and deactivations")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


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
class ResponsePlanAdmin(admin.ModelAdmin):
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

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if not isinstance(inline, EventInline):  # the records take no part in a save
            kwargs["page"] = request.__dict__.setdefault("_response_plan_formsets", {})
        return kwargs

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
