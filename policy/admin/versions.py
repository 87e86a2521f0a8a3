"""The response policy in the admin: versions and their levels, sign-off, the priority matrix.

Everything is saved through policy/services.py. A draft's summary and levels are
edited on its change page: each form calls its service as the last step of validation, so a
refusal ("a cadence of 0 …") re-renders the page with its message; when any form of the page is
refused, everything the page's other forms did is rolled back with it. A version that is no
longer a draft is read-only. Submission, sign-off, rejection and new drafts are actions on the
list; sign-off and rejection ask for the team, comment or reason on an intermediate page.

Who: policy managers (`policy.change_policyversion`) add and edit drafts and submit them;
leads of the sign-off teams see the versions and sign off or reject them.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.db import transaction
from django.db.models import Case, Count, IntegerField, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from core.admin.actions import apply_each, intermediate_page, prefixed, submitted
from core.admin.forms import ServiceModelForm
from core.admin.inlines import ReadOnlyInline
from core.admin.refusals import REFUSALS, refusal_messages
from people.models import CriticalFunction, Team
from policy import chains, selectors, services
from policy.admin.chain_field import ChainField
from policy.models import (
    Audience,
    Impact,
    PolicyEvent,
    PolicyLevel,
    PolicySignOff,
    PolicyStatus,
    PolicyVersion,
    PriorityMatrixCell,
    SeverityLevel,
    Urgency,
)

# --- Forms ----------------------------------------------------------------------------------


class PolicyDraftAddForm(ServiceModelForm):
    copy_from = forms.ModelChoiceField(
        label=_("Start from"),
        queryset=PolicyVersion.objects.all(),
        required=False,
        empty_label=_("The version in force"),
        help_text=_("The new draft starts with this version's levels."),
    )

    class Meta:
        model = PolicyVersion
        fields = ["summary"]

    def call_service(self):
        return services.policy_draft_create(actor=self.actor, **self.cleaned_data)


class PolicyDraftForm(ServiceModelForm):
    class Meta:
        model = PolicyVersion
        fields = ["summary"]

    def call_service(self):
        if "summary" not in self.changed_data:
            return self.instance
        return services.policy_draft_update(
            actor=self.actor, version=self.instance, summary=self.cleaned_data["summary"]
        )


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


class SignOffForm(forms.Form):
    team = forms.ModelChoiceField(label=_("For my team"), queryset=Team.objects.none())
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        teams = selectors.lead_teams(user)
        self.fields["team"].queryset = teams
        if len(teams) == 1:
            self.fields["team"].initial = teams[0].pk


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea,
        help_text=_("What should change; the sign-offs so far are cleared."),
    )


# --- Inlines --------------------------------------------------------------------------------


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


class SignOffInline(ReadOnlyInline):
    model = PolicySignOff
    fields = ["team", "user", "signed_at", "comment"]
    readonly_fields = fields
    verbose_name_plural = _("sign-offs")
    related = ("team", "user")


class PolicyEventInline(ReadOnlyInline):
    model = PolicyEvent
    fields = ["created_at", "kind", "actor", "message"]
    readonly_fields = fields
    verbose_name_plural = _("history")
    related = ("actor",)


# --- Actions --------------------------------------------------------------------------------

SUBMITTED = ngettext_lazy(
    "Submitted %(count)d version for sign-off: %(versions)s.",
    "Submitted %(count)d versions for sign-off: %(versions)s.",
    "count",
)
SIGNED = ngettext_lazy(
    "Signed off %(count)d version for %(team)s: %(versions)s.",
    "Signed off %(count)d versions for %(team)s: %(versions)s.",
    "count",
)
REJECTED = ngettext_lazy(
    "Rejected %(count)d version: %(versions)s.",
    "Rejected %(count)d versions: %(versions)s.",
    "count",
)


def _short_name(version):
    return f"v{version.number}"


# How `apply_each` names versions, in its success message and in each refusal.
VERSIONS = {"name": _short_name, "names": "versions", "refusal": prefixed(_short_name)}


@admin.action(description=_("Submit for sign-off"), permissions=["manage"])
def submit(modeladmin, request, queryset):
    apply_each(
        modeladmin,
        request,
        queryset.order_by("number"),
        lambda version: services.policy_submit(actor=request.user, version=version),
        SUBMITTED,
        **VERSIONS,
    )


@admin.action(description=_("Sign off for my team…"), permissions=["review"])
def sign_off(modeladmin, request, queryset):
    form = SignOffForm(submitted(request), user=request.user)
    if not form.is_valid():
        return intermediate_page(modeladmin, request, queryset, form, title=_("Sign off"))
    team = form.cleaned_data["team"]
    signed = apply_each(
        modeladmin,
        request,
        queryset.order_by("number"),
        lambda version: services.policy_sign_off(
            actor=request.user, version=version, team=team, comment=form.cleaned_data["comment"]
        ),
        SIGNED,
        team=team.name,
        **VERSIONS,
    )
    in_force = PolicyVersion.objects.filter(
        pk__in=[v.pk for v in signed], status=PolicyStatus.EFFECTIVE
    )
    for version in in_force:
        modeladmin.message_user(
            request,
            _("%(version)s is now in force: every sign-off team approved it.")
            % {"version": version},
            messages.SUCCESS,
        )


@admin.action(description=_("Reject…"), permissions=["review"])
def reject(modeladmin, request, queryset):
    form = RejectForm(submitted(request))
    if not form.is_valid():
        return intermediate_page(modeladmin, request, queryset, form, title=_("Reject"))
    apply_each(
        modeladmin,
        request,
        queryset.order_by("number"),
        lambda version: services.policy_reject(
            actor=request.user, version=version, reason=form.cleaned_data["reason"]
        ),
        REJECTED,
        **VERSIONS,
    )


@admin.action(description=_("New draft from this version"), permissions=["manage"])
def new_draft(modeladmin, request, queryset):
    versions = list(queryset[:2])
    if len(versions) != 1:
        modeladmin.message_user(
            request, _("Choose the one version the new draft starts from."), messages.ERROR
        )
        return None
    try:
        draft = services.policy_draft_create(
            actor=request.user,
            copy_from=versions[0],
            summary=_("Based on v%(number)d.") % {"number": versions[0].number},
        )
    except REFUSALS as error:
        for message in refusal_messages(error):
            modeladmin.message_user(request, message, messages.ERROR)
        return None
    modeladmin.message_user(
        request,
        _("%(draft)s started from %(source)s: edit its levels below.")
        % {"draft": draft, "source": versions[0]},
        messages.SUCCESS,
    )
    return HttpResponseRedirect(reverse("admin:policy_policyversion_change", args=[draft.pk]))


# --- Model admins ---------------------------------------------------------------------------


def _required_teams_count():
    return Coalesce(
        Subquery(
            Team.objects.filter(signs_off_policy=True)
            .order_by()
            .values("signs_off_policy")
            .annotate(n=Count("pk"))
            .values("n")[:1]
        ),
        Value(0),
    )


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    list_display = [
        "number_display",
        "status",
        "summary",
        "author",
        "created_at",
        "submitted_at",
        "effective_at",
        "sign_off_progress",
    ]
    list_display_links = ["number_display"]
    list_filter = ["status"]
    search_fields = ["summary"]
    list_select_related = ["author"]
    actions = [submit, sign_off, reject, new_draft]
    fields = [
        "number",
        "status",
        "summary",
        "author",
        "created_at",
        "submitted_at",
        "effective_at",
        "superseded_at",
        "sign_off_progress",
        "missing_teams",
    ]
    readonly_fields = [field for field in fields if field != "summary"]
    add_fields = ["summary", "copy_from"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                signed_required=Count(
                    "sign_offs", filter=Q(sign_offs__team__signs_off_policy=True), distinct=True
                ),
                signed_total=Count("sign_offs", distinct=True),
                required_total=_required_teams_count(),
            )
        )

    @admin.display(description=_("version"), ordering="number")
    def number_display(self, version):
        return f"v{version.number}"

    @admin.display(description=_("sign-offs"))
    def sign_off_progress(self, version):
        if version.status in selectors.PENDING:
            return _("%(done)d of %(total)d") % {
                "done": version.signed_required,
                "total": version.required_total,
            }
        return _("%(done)d of %(done)d") % {"done": version.signed_total}

    @admin.display(description=_("still to sign"))
    def missing_teams(self, version):
        if version.status not in selectors.PENDING:
            return "—"
        progress = selectors.policy_sign_off_progress(version)
        return ", ".join(team.name for team in progress.missing) or "—"

    # --- permissions ----------------------------------------------------------------------

    def has_manage_permission(self, request):
        return selectors.can_manage_policy(request.user)

    def has_review_permission(self, request):
        return selectors.can_review_policy(request.user)

    def has_module_permission(self, request):
        return super().has_module_permission(request) or self.has_review_permission(request)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or self.has_review_permission(request)

    def has_add_permission(self, request):
        return self.has_manage_permission(request)

    def has_change_permission(self, request, obj=None):
        # Only a draft is edited; any other version shows read-only.
        if obj is not None and not obj.is_editable:
            return False
        return self.has_manage_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False  # versions are the record of what was agreed

    # --- forms ----------------------------------------------------------------------------

    def get_fields(self, request, obj=None):
        return self.add_fields if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = PolicyDraftAddForm if obj is None else PolicyDraftForm
        form = super().get_form(request, obj, **kwargs)
        form.actor = request.user
        return form

    def get_inlines(self, request, obj):
        if obj is None:
            return []
        records = [SignOffInline, PolicyEventInline]
        if obj.is_editable and self.has_manage_permission(request):
            return [PolicyLevelEditInline, *records]
        return [PolicyLevelInline, *records]

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, PolicyLevelEditInline):
            # The empty forms offer the severities still without a level.
            missing = selectors.policy_missing_severities(obj)
            kwargs["initial"] = [{"severity": severity.pk} for severity in missing]
        return kwargs

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        response = super().render_change_form(request, context, add, change, form_url, obj)
        if request.method == "POST":
            # The page is shown again because a form was refused: undo what the page's other
            # forms already saved, so that a page is saved whole or not at all.
            transaction.set_rollback(True)
        return response

    def save_form(self, request, form, change):
        return form.result

    def save_model(self, request, obj, form, change):
        """Nothing left to save: the service saved while the form validated."""

    def save_related(self, request, form, formsets, change):
        """The level forms' services saved too; tell the change message what they did."""
        for formset in formsets:
            forms_done = [f for f in formset.forms if getattr(f, "result", None) is not None]
            formset.new_objects = [f.result for f in forms_done if not f.instance.pk]
            formset.changed_objects = [
                (f.result, f.changed_data) for f in forms_done if f.instance.pk
            ]
            formset.deleted_objects = []

    def response_add(self, request, obj, post_url_continue=None):
        # A new draft is edited next: its levels are on the change page.
        self.message_user(
            request,
            _("%(version)s created: edit its levels, then submit it for sign-off.")
            % {"version": obj},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:policy_policyversion_change", args=[obj.pk]))


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
class PriorityMatrixCellAdmin(admin.ModelAdmin):
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

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.actor = request.user
        return form

    def has_delete_permission(self, request, obj=None):
        return False  # change a cell's priority instead

    def save_form(self, request, form, change):
        return form.result

    def save_model(self, request, obj, form, change):
        """Nothing left to save: the service saved while the form validated."""

    def save_related(self, request, form, formsets, change):
        """Nothing related."""
