"""The inlines of a playbook version's admin page.

`StepEditInline` edits a draft's steps: its formset saves the version's content and steps with
one service call (`playbook_version_create` / `playbook_version_edit`) as the last step of the
page's validation, so that a refusal re-renders the page with the service's message. The other
inlines show a version's records (steps, approvals, verifications, history) read-only.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from core.admin.read_only import ReadOnlyInline
from core.admin.refusals import REFUSALS, refusal_messages
from playbooks import services
from playbooks.models import (
    PlaybookApproval,
    PlaybookEvent,
    PlaybookStep,
    PlaybookVersion,
    Verification,
)

# --- Steps ----------------------------------------------------------------------------------


def _https_urls(db_field, **kwargs):
    if isinstance(db_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return db_field.formfield(**kwargs)


class StepForm(forms.ModelForm):
    """One step as typed. The service numbers the steps and checks them."""

    class Meta:
        model = PlaybookStep
        fields = ["position", "text", *services.STEP_FIELDS[1:]]
        formfield_callback = _https_urls

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["position"].required = False
        self.fields["position"].help_text = _("Order; empty: at the end.")

    def _post_clean(self):
        """No model checks: positions are renumbered and steps checked by the service."""


class StepFormSet(BaseInlineFormSet):
    """Saves the version's content and steps through the service once the page validated."""

    actor = None  # set per request by StepEditInline.get_formset

    def steps(self):
        rows = []
        for index, form in enumerate(self.forms):
            if self.can_delete and self._should_delete_form(form):
                continue
            if form.instance.pk is None and not form.has_changed():
                continue
            data = form.cleaned_data
            order = data.get("position") or 10**6
            rows.append((order, index, {f: data.get(f) or "" for f in services.STEP_FIELDS}))
        return [step for _order, _index, step in sorted(rows, key=lambda r: r[:2])]

    def clean(self):
        # Not the model formset's uniqueness checks: the service renumbers the steps.
        self.new_objects, self.changed_objects, self.deleted_objects = [], [], []
        version = self.instance
        if any(self.errors) or not getattr(version, "form_ok", False):
            return
        content, steps = version.content, self.steps()
        try:
            with transaction.atomic():
                if version.pk is None:
                    if not content and not steps:
                        content = steps = None  # start from the approved version
                    created = services.playbook_version_create(
                        actor=self.actor, playbook=version.playbook, content=content, steps=steps
                    )
                    # The page's form holds this instance: make it the version just created.
                    for field in PlaybookVersion._meta.concrete_fields:
                        setattr(version, field.attname, getattr(created, field.attname))
                    version._state.adding = False
                else:
                    services.playbook_version_edit(
                        actor=self.actor, version=version, content=content, steps=steps
                    )
        except REFUSALS as error:
            raise ValidationError(refusal_messages(error)) from None


class StepEditInline(admin.TabularInline):
    model = PlaybookStep
    form = StepForm
    formset = StepFormSet
    fields = ["position", "text", *services.STEP_FIELDS[1:]]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    verbose_name_plural = _("steps")

    def get_extra(self, request, obj=None, **kwargs):
        return 3 if obj is None else 1

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.actor = request.user  # a class built for this request only
        return formset

    def _may_edit(self, request):
        return services.can_edit(request.user, None)

    def has_view_permission(self, request, obj=None):
        return True

    def has_add_permission(self, request, obj=None):
        return self._may_edit(request)

    def has_change_permission(self, request, obj=None):
        return self._may_edit(request)

    def has_delete_permission(self, request, obj=None):
        return self._may_edit(request)


# --- Records --------------------------------------------------------------------------------


class StepInline(ReadOnlyInline):
    model = PlaybookStep
    fields = ["position", "text", *services.STEP_FIELDS[1:]]
    readonly_fields = fields
    verbose_name_plural = _("steps")


class ApprovalInline(ReadOnlyInline):
    model = PlaybookApproval
    fields = ["approver", "approved_at", "comment"]
    readonly_fields = fields
    related = ("approver",)


class VerificationInline(ReadOnlyInline):
    model = Verification
    fields = ["verified_at", "method", "outcome", "verified_by", "evidence", "recorded_at"]
    readonly_fields = fields
    related = ("verified_by",)


class EventInline(ReadOnlyInline):
    model = PlaybookEvent
    fields = ["created_at", "kind", "actor", "message"]
    readonly_fields = fields
    related = ("actor",)
    verbose_name_plural = _("history")
