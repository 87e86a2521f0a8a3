"""A policy version's levels in the admin: what the version demands for each severity.

A draft's levels are edited on its change page: each level form calls `policy_level_set` as the
last step of its validation (policy/admin/versions.py says how a refusal rolls the page back).
Any other version shows its levels read-only.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.utils.translation import gettext_lazy as _

from core.admin.read_only import ReadOnlyInline
from core.admin.refusals import REFUSALS, refusal_messages
from people.models import CriticalFunction
from policy import chains, selectors, services
from policy.admin.chain_field import ChainField
from policy.models import Audience, PolicyLevel, SeverityLevel


class PolicyLevelForm(forms.ModelForm):
    """One level of a draft, saved by `services.policy_level_set` while the page validates.

    The numbers are plain integers here: the service owns the bounds and their messages."""

    actor = None  # set on the class the inline builds per request

    audiences = forms.MultipleChoiceField(
        label=_("Audiences informed"),
        choices=Audience.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    ack_chain = ChainField(label=_("Acknowledgement escalation"))
    update_chain = ChainField(label=_("Status-update escalation"))

    class Meta:
        model = PolicyLevel
        fields = ["severity", *services.LEVEL_FIELDS]
        widgets = {"paged_functions": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in services.LEVEL_NUMBERS:
            old = self.fields[name]
            self.fields[name] = forms.IntegerField(
                label=old.label, required=old.required, initial=old.initial, help_text=old.help_text
            )
        for field in self.fields.values():
            # No add/change/delete links to severities, functions or priorities from here.
            if isinstance(field.widget, RelatedFieldWidgetWrapper):
                field.widget = field.widget.widget
        self.fields["paged_functions"].queryset = CriticalFunction.objects.filter(is_active=True)

    def _post_clean(self):
        # Instead of the model form's own checks: the service checks, saves and records.
        if self.errors or not self.has_changed():
            return
        severity = self.cleaned_data["severity"]
        if self.instance.pk and severity.pk != self.instance.severity_id:
            self.add_error("severity", _("Change the level of that severity instead."))
            return
        version = self.instance.version
        if not self.instance.pk and version.levels.filter(severity=severity).exists():
            self.add_error(
                "severity",
                _("%(severity)s already has a level above.") % {"severity": severity.name},
            )
            return
        names = self.changed_data if self.instance.pk else services.LEVEL_FIELDS
        fields = {name: self.cleaned_data[name] for name in names if name != "severity"}
        try:
            self.result = services.policy_level_set(
                actor=self.actor, version=version, severity=severity, **fields
            )
        except REFUSALS as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.message_dict.items():
                    self.add_error(field if field in self.fields else None, errors)
            else:
                self.add_error(None, refusal_messages(error))


class PolicyLevelInline(ReadOnlyInline):
    """The levels of a version that is no longer a draft."""

    model = PolicyLevel
    fields = [
        "severity",
        "acknowledge",
        "updates",
        "page_wait",
        "functions_paged",
        "audiences_informed",
        "staffing_model",
        "hand_over_after",
        "expected_people",
        "postmortem",
        "followups",
        "inform_leadership",
        "acknowledgement_escalation",
        "update_escalation",
    ]
    readonly_fields = fields
    verbose_name_plural = _("levels (read-only: only a draft is edited)")
    related = ("severity", "followup_priority")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("paged_functions")

    @admin.display(description=_("acknowledge within"))
    def acknowledge(self, level):
        return _("%(minutes)d min") % {"minutes": level.ack_target_minutes}

    @admin.display(description=_("update every"))
    def updates(self, level):
        return _("%(minutes)d min") % {"minutes": level.update_cadence_minutes}

    @admin.display(description=_("a page waits at most"))
    def page_wait(self, level):
        return _("%(minutes)d min") % {"minutes": level.page_wait_limit // 60}

    @admin.display(description=_("hand over after"))
    def hand_over_after(self, level):
        return _("%(hours)d h") % {"hours": level.max_continuous_hours}

    @admin.display(description=_("functions paged"))
    def functions_paged(self, level):
        return ", ".join(f.name for f in level.paged_functions.all()) or "—"

    @admin.display(description=_("audiences informed"))
    def audiences_informed(self, level):
        return ", ".join(str(Audience(a).label) for a in level.audiences) or "—"

    @admin.display(description=_("postmortem"))
    def postmortem(self, level):
        if not level.postmortem_required:
            return _("not required")
        return _("due in %(days)d days") % {"days": level.postmortem_due_days}

    @admin.display(description=_("acknowledgement escalation"))
    def acknowledgement_escalation(self, level):
        return chains.describe(chains.ack_chain(level))

    @admin.display(description=_("status-update escalation"))
    def update_escalation(self, level):
        return chains.describe(chains.update_chain(level))

    @admin.display(description=_("follow-ups"))
    def followups(self, level):
        due = _("due in %(days)d days") % {"days": level.followup_due_days}
        if level.followup_priority is None:
            return due
        return f"{level.followup_priority.name}, {due}"


class PolicyLevelEditInline(admin.StackedInline):
    """The levels of a draft, saved through `services.policy_level_set`."""

    model = PolicyLevel
    form = PolicyLevelForm
    fields = [
        "severity",
        ("ack_target_minutes", "update_cadence_minutes", "page_wait_limit_minutes"),
        ("paged_functions", "audiences"),
        ("staffing_model", "max_continuous_hours", "expected_people"),
        ("postmortem_required", "postmortem_due_days"),
        ("followup_priority", "followup_due_days"),
        "inform_leadership",
        ("ack_chain", "ack_repeat_minutes", "ack_rounds"),
        ("update_chain", "update_repeat_minutes"),
    ]
    extra = 0
    can_delete = False
    verbose_name_plural = _("levels")

    def get_extra(self, request, obj=None, **kwargs):
        # One empty level per severity the draft has none for yet.
        return len(selectors.policy_missing_severities(obj)) if obj else 0

    def get_max_num(self, request, obj=None, **kwargs):
        return SeverityLevel.objects.count()

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.actor = request.user  # a class built for this request only
        return formset

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("severity")

    def has_view_permission(self, request, obj=None):
        return True

    def has_add_permission(self, request, obj=None):
        return selectors.can_manage_policy(request.user)

    def has_change_permission(self, request, obj=None):
        return selectors.can_manage_policy(request.user)

    def has_delete_permission(self, request, obj=None):
        return False
