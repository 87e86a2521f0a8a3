"""The version actions: each calls its service once per selected version, reports the successes
in one message and every refusal at ERROR level in the service's own words; a refused version
keeps everything as it was. Approve, reject and verify ask for input on an intermediate page
first (incidents' `intermediate_page`, with admin/playbooks/playbookversion/action_form.html).
"""

from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy

from core.admin.actions import apply_each, intermediate_page, submitted
from core.admin.refusals import refusal_messages
from playbooks import services
from playbooks.models import VersionStatus

from .forms import ApproveForm, RejectForm, VerifyForm

SUBMITTED = ngettext_lazy(
    "Submitted %(count)d version for review: %(versions)s.",
    "Submitted %(count)d versions for review: %(versions)s.",
    "count",
)
APPROVED = ngettext_lazy(
    "Recorded your approval of %(count)d version: %(versions)s.",
    "Recorded your approval of %(count)d versions: %(versions)s.",
    "count",
)
REJECTED = ngettext_lazy(
    "Rejected %(count)d version: %(versions)s.",
    "Rejected %(count)d versions: %(versions)s.",
    "count",
)
REOPENED = ngettext_lazy(
    "Reopened %(count)d version as a draft: %(versions)s.",
    "Reopened %(count)d versions as drafts: %(versions)s.",
    "count",
)
VERIFIED = ngettext_lazy(
    "Recorded a verification of %(count)d version: %(versions)s.",
    "Recorded a verification of %(count)d versions: %(versions)s.",
    "count",
)


def named(version, message):
    """A service's message, naming the version it is about."""
    name = str(version)
    return message if name in message else f"{name}: {message}"


def refusal_lines(version, error):
    """The service's messages, each naming the version it is about."""
    return [named(version, message) for message in refusal_messages(error)]


def report_refusal(modeladmin, request, version, error):
    for message in refusal_lines(version, error):
        modeladmin.message_user(request, message, messages.ERROR)


def in_order(queryset):
    return queryset.select_related("playbook__service").order_by("playbook", "number")


def apply_to_versions(modeladmin, request, queryset, service, done, **arguments):
    """`service(actor=..., version=..., **arguments)` through `apply_each` for each selected
    version in order, each named in its refusals."""
    return apply_each(
        modeladmin,
        request,
        in_order(queryset),
        lambda version: service(actor=request.user, version=version, **arguments),
        done,
        name=str,
        names="versions",
        refusal=named,
    )


def report_approvals(modeladmin, request, versions):
    """After approvals: which versions are now in force, which still wait for someone."""
    for version in versions:
        version.refresh_from_db(fields=["status"])
        if version.status == VersionStatus.APPROVED:
            text = _("%(version)s is now the approved version.") % {"version": version}
        else:
            text = _("%(version)s has %(done)d of %(needed)d approvals.") % {
                "version": version,
                "done": version.approvals.count(),
                "needed": services.approvals_required(version.playbook.service),
            }
        modeladmin.message_user(request, text, messages.SUCCESS)


@admin.action(description=gettext_lazy("Submit for review"), permissions=["change"])
def submit(modeladmin, request, queryset):
    apply_to_versions(modeladmin, request, queryset, services.playbook_version_submit, SUBMITTED)


@admin.action(description=gettext_lazy("Approve…"), permissions=["review"])
def approve(modeladmin, request, queryset):
    form = ApproveForm(submitted(request))
    if not form.is_valid():
        return intermediate_page(modeladmin, request, queryset, form, title=gettext_lazy("Approve"))
    approved = apply_to_versions(
        modeladmin,
        request,
        queryset,
        services.playbook_version_approve,
        APPROVED,
        comment=form.cleaned_data["comment"],
    )
    report_approvals(modeladmin, request, approved)
    return None


@admin.action(description=gettext_lazy("Reject…"), permissions=["review"])
def reject(modeladmin, request, queryset):
    form = RejectForm(submitted(request))
    if not form.is_valid():
        return intermediate_page(modeladmin, request, queryset, form, title=gettext_lazy("Reject"))
    apply_to_versions(
        modeladmin,
        request,
        queryset,
        services.playbook_version_reject,
        REJECTED,
        reason=form.cleaned_data["reason"],
    )
    return None


@admin.action(description=gettext_lazy("Reopen as draft"), permissions=["change"])
def reopen(modeladmin, request, queryset):
    apply_to_versions(modeladmin, request, queryset, services.playbook_version_reopen, REOPENED)


@admin.action(description=gettext_lazy("Record verification…"), permissions=["change"])
def verify(modeladmin, request, queryset):
    form = VerifyForm(submitted(request))
    if not form.is_valid():
        return intermediate_page(
            modeladmin, request, queryset, form, title=gettext_lazy("Record a verification")
        )
    apply_to_versions(
        modeladmin,
        request,
        queryset,
        services.playbook_version_verify,
        VERIFIED,
        **form.cleaned_data,
    )
    return None


ALL = [submit, approve, reject, reopen, verify]
