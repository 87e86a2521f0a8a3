"""The response policy's versions in the admin: drafts, their change page, the version list.

Everything is saved through the services (policy/services/). A draft's summary and levels are
edited on its change page: each form calls its service as the last step of validation, so a
refusal ("a cadence of 0 …") re-renders the page with its message; when any form of the page is
refused, everything the page's other forms did is rolled back with it. A version that is no
longer a draft is read-only. Submission, sign-off, rejection (review.py) and new drafts are
actions on the list. The levels' forms and inlines are in version_levels.py, the priority matrix
in matrix.py.

Who: policy managers (`policy.change_policyversion`) add and edit drafts and submit them;
leads of the sign-off teams see the versions and sign off or reject them.
"""

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.admin.forms import ServiceModelForm
from core.admin.read_only import ReadOnlyInline
from core.admin.refusals import REFUSALS, refusal_messages
from people.models import Team
from policy import selectors, services
from policy.admin.review import reject, sign_off, submit
from policy.admin.version_levels import PolicyLevelEditInline, PolicyLevelInline
from policy.models import PolicyEvent, PolicySignOff, PolicyVersion


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
