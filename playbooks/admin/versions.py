"""Playbook versions in the admin, driven through playbooks/services.py.

The add page and a draft's change page save content and steps with one service call
(`playbook_version_create` / `playbook_version_edit`), made by the steps' formset as the last
step of validation so that a refusal re-renders the page with the service's message (the
inlines are in version_inlines.py). Any other version is read-only; posting its page anyway
gets the service's refusal ("… is approved and can no longer change: start a new draft.").
Submit, approve, reject, reopen and verify are actions (actions.py); approve and reject are also
buttons on the version's page (version_decisions.py).

Who: editors (`playbooks.change_playbook`, as the services say) add, edit, submit, reopen and
verify; reviewers (`catalog.approve_playbook` on some service, or model-wide) see the versions
and approve or reject them, the services checking the permission on each version's service.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db import transaction
from django.db.models import Count, Max, Q
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from guardian.shortcuts import get_objects_for_user

from catalog.models import Service
from core.admin.refusals import REFUSALS, refusal_messages
from playbooks import selectors, services
from playbooks.models import PlaybookVersion, VerificationOutcome, VersionStatus

from . import actions
from .version_decisions import DecisionButtonsMixin
from .version_inlines import (
    ApprovalInline,
    EventInline,
    StepEditInline,
    StepInline,
    VerificationInline,
)


def version_link(version):
    url = reverse("admin:playbooks_playbookversion_change", args=[version.pk])
    return format_html('<a href="{}">v{}</a>', url, version.number)


def is_reviewer(request):
    """May approve some service's playbooks (model-wide or on one service); once per request."""
    if not hasattr(request, "_playbook_reviewer"):
        user = request.user
        request._playbook_reviewer = bool(
            user.is_active
            and (
                user.has_perm("catalog.approve_playbook")
                or get_objects_for_user(
                    user, "catalog.approve_playbook", klass=Service, accept_global_perms=False
                ).exists()
            )
        )
    return request._playbook_reviewer


# --- The version form -----------------------------------------------------------------------


class VersionForm(forms.ModelForm):
    """Content (and, when adding, the playbook). The steps' formset makes the service call;
    a version that is no longer a draft has nothing to edit and gets the service's refusal."""

    actor = None  # set per request by PlaybookVersionAdmin.get_form

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        version = self.instance
        if version.pk is not None and not version.is_editable:
            try:
                services.playbook_version_edit(
                    actor=self.actor,
                    version=version,
                    content=version.content,
                    steps=list(version.steps.values(*services.STEP_FIELDS)),
                )
            except REFUSALS as error:
                self.add_error(None, refusal_messages(error))
            return
        version.form_ok = True


class TierFilter(admin.SimpleListFilter):
    title = _("service tier")
    parameter_name = "tier"

    def lookups(self, request, model_admin):
        return [(str(tier), _("Tier %(tier)d") % {"tier": tier}) for tier in (1, 2, 3)]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(playbook__service__tier=self.value())
        return queryset


HEADER = ["playbook", "number", "status", "author", "approval_progress", "verification_state"]
DATES = ["created_at", "submitted_at", "decided_at", "superseded_at", "rejection_reason"]


@admin.register(PlaybookVersion)
class PlaybookVersionAdmin(DecisionButtonsMixin, admin.ModelAdmin):
    form = VersionForm
    list_display = [
        "playbook",
        "number",
        "status",
        "author",
        "approval_progress",
        "verified",
        "created_at",
    ]
    list_display_links = ["playbook", "number"]
    list_filter = ["status", TierFilter]
    list_select_related = ["playbook__service", "author"]
    search_fields = ["playbook__title", "playbook__service__name", "content"]
    actions = actions.ALL

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("playbook__service", "author")
            .annotate(
                n_approvals=Count("approvals", distinct=True),
                last_passed=Max(
                    "verifications__verified_at",
                    filter=Q(verifications__outcome=VerificationOutcome.PASSED),
                ),
            )
        )

    # --- columns and read-only fields -----------------------------------------------------

    @admin.display(description=_("approvals"))
    def approval_progress(self, version):
        needed = services.approvals_required(version.playbook.service)
        return _("%(done)d of %(needed)d") % {"done": version.n_approvals, "needed": needed}

    def _reverify_due(self, version):
        if version.last_passed is None:
            return None
        return version.last_passed + selectors.reverify_interval(version.playbook.service)

    @admin.display(description=_("verified & current"), boolean=True)
    def verified(self, version):
        if version.status != VersionStatus.APPROVED:
            return None
        due = self._reverify_due(version)
        return due is not None and due > timezone.now()

    @admin.display(description=_("verification"))
    def verification_state(self, version):
        if version.status != VersionStatus.APPROVED:
            return "—"
        due = self._reverify_due(version)
        if due is None:
            return format_html("<strong>{}</strong>", _("Not verified yet: verify it."))
        if due <= timezone.now():
            return format_html(
                "<strong>{}</strong>",
                _("Verification expired on %(due)s: verify it again.") % {"due": f"{due:%Y-%m-%d}"},
            )
        return _("Verified on %(on)s; verify again by %(due)s.") % {
            "on": f"{version.last_passed:%Y-%m-%d}",
            "due": f"{due:%Y-%m-%d}",
        }

    @admin.display(description=_("preview"))
    def preview(self, version):
        return mark_safe(selectors.render_markdown(version.content))  # nh3-cleaned by the selector

    @admin.display(description=_("diff against the approved version"))
    def diff(self, version):
        approved = selectors.approved_version(version.playbook)
        if approved is None:
            return _("No approved version to compare with.")
        if approved.pk == version.pk:
            return _("This is the approved version.")
        text = selectors.version_diff(version, approved)
        if not text:
            return _("Same as the approved version (%(version)s).") % {"version": approved}
        return format_html('<pre class="playbook-diff">{}</pre>', text)

    # --- permissions ----------------------------------------------------------------------

    def _may_edit(self, request):
        return services.can_edit(request.user, None)

    def has_review_permission(self, request):
        return is_reviewer(request)

    def has_module_permission(self, request):
        return (
            super().has_module_permission(request)
            or self._may_edit(request)
            or self.has_review_permission(request)
        )

    def has_view_permission(self, request, obj=None):
        return (
            super().has_view_permission(request, obj)
            or self._may_edit(request)
            or self.has_review_permission(request)
        )

    def has_add_permission(self, request):
        return self._may_edit(request)

    def has_change_permission(self, request, obj=None):
        # Editors may post any version's page; only a draft's has fields, and the service
        # refuses the others.
        return self._may_edit(request)

    def has_delete_permission(self, request, obj=None):
        return False  # versions are the record of what was approved

    # --- the page -------------------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [
                (
                    None,
                    {
                        "fields": ["playbook", "content"],
                        "description": _(
                            "Leave the content and the steps empty to start from the approved "
                            "version."
                        ),
                    },
                )
            ]
        return [
            (None, {"fields": HEADER}),
            (_("Dates"), {"fields": DATES, "classes": ["collapse"]}),
            (_("Content"), {"fields": ["content", "preview"]}),
            (_("Changes"), {"fields": ["diff"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        readonly = [*HEADER, *DATES, "preview", "diff"]
        return readonly if obj.is_editable else [*readonly, "content"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.actor = request.user  # a class built for this request only
        return form

    def get_inlines(self, request, obj):
        if obj is None:
            return [StepEditInline]
        steps = StepEditInline if obj.is_editable and self._may_edit(request) else StepInline
        return [steps, ApprovalInline, VerificationInline, EventInline]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        context = dict(extra_context or {})
        if obj is not None:
            context["can_review"] = (
                obj.status == VersionStatus.IN_REVIEW and self.has_review_permission(request)
            )
            if not obj.is_editable:
                context.update(show_save=False, show_save_and_continue=False)
        return super().change_view(request, object_id, form_url, context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if request.method == "POST":
            # Shown again because something was refused: keep nothing the page did.
            transaction.set_rollback(True)
        context.setdefault("show_save_and_add_another", False)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_form(self, request, form, change):
        return form.instance  # the steps' formset saves it through the service

    def save_model(self, request, obj, form, change):
        """Nothing left to save: the service saved while the page validated."""

    def save_related(self, request, form, formsets, change):
        """Nothing left to save; nothing for the change message to list either."""
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def response_add(self, request, obj, post_url_continue=None):
        self.message_user(
            request,
            _("%(version)s created: check it, then submit it for review.") % {"version": obj},
            messages.SUCCESS,
        )
        url = reverse("admin:playbooks_playbookversion_change", args=[obj.pk])
        return HttpResponseRedirect(url)
