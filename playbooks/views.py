"""Portal: playbooks. The coverage of the service catalogue, and one page per service with its
playbooks: the approved version and its verifications, the versions in review with their diff
and the approve / reject forms, the drafts with edit and submit.

The views parse a form and call a service; the services decide who may do what, and their
refusals are shown in their own words (ValidationError on the form, TransitionNotAllowed as a
409 message, PermissionDenied as a 403 message), with the page rendered again.
"""

from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from core.views_refusals import PORTAL_REFUSALS, show_refusal

from . import selectors, services
from .forms import (
    ApproveForm,
    DraftForm,
    EmptyForm,
    NewPlaybookForm,
    RejectForm,
    VerifyForm,
    steps_as_lines,
)
from .models import Playbook, PlaybookApproval, PlaybookVersion, VersionStatus

# --- Coverage -------------------------------------------------------------------------------


@login_required
def coverage(request):
    rows = selectors.coverage_for(user=request.user)
    now = timezone.now()
    for row in rows:
        due = row.reverify_due_at
        row.expired_days = (now - due).days if due is not None and due <= now else None
    context = {
        "rows": rows,
        "covered": sum(1 for row in rows if row.is_covered),
        "total": len(rows),
        "without": [row.service for row in rows if not row.has_approved],
        "unverified": [row for row in rows if row.has_approved and not row.verified_current],
        "pending": sum(row.pending_reviews for row in rows),
    }
    return render(request, "playbooks/coverage.html", context)


# --- Service page ---------------------------------------------------------------------------


def diff_lines(text):
    """A unified diff as (css class, line) pairs for the <pre>."""
    lines = []
    for line in text.splitlines():
        if line.startswith(("+++", "---")):
            kind = "file"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = ""
        lines.append((kind, line))
    return lines


@dataclass
class VersionView:
    version: PlaybookVersion
    html: str
    approvals: list
    needed: int
    diff: list = field(default_factory=list)
    forms: dict = field(default_factory=dict)
    i_approved: bool = False
    is_mine: bool = False


@dataclass
class PlaybookView:
    playbook: Playbook
    approved: VersionView | None
    in_review: list
    drafts: list
    rejected: list
    superseded: list
    verifications: list
    new_draft_form: DraftForm | None = None


def _version_view(request, version, *, approved, needed, editor, approver, bound):
    key = version.pk
    approvals = list(version.approvals.all())
    view = VersionView(
        version=version,
        html=mark_safe(selectors.render_markdown(version.content)),  # nh3-cleaned
        approvals=approvals,
        needed=needed,
        i_approved=any(a.approver_id == request.user.pk for a in approvals),
        is_mine=version.author_id == request.user.pk,
    )
    status = version.status
    if status == VersionStatus.IN_REVIEW:
        if approved is not None:
            view.diff = diff_lines(selectors.version_diff(version, approved))
        if approver and not view.is_mine and not view.i_approved:
            view.forms["approve"] = bound.get(("approve", key)) or ApproveForm(
                auto_id=f"id_approve_{key}_%s"
            )
        if approver and not view.is_mine:
            view.forms["reject"] = bound.get(("reject", key)) or RejectForm(
                auto_id=f"id_reject_{key}_%s"
            )
    elif status == VersionStatus.DRAFT and editor:
        if approved is not None:
            view.diff = diff_lines(selectors.version_diff(version, approved))
        view.forms["edit"] = bound.get(("edit", key)) or DraftForm(
            initial={"content": version.content, "steps": steps_as_lines(version.steps.all())},
            auto_id=f"id_edit_{key}_%s",
        )
        view.forms["submit"] = bound.get(("submit", key)) or EmptyForm()
    elif status == VersionStatus.REJECTED and editor:
        view.forms["reopen"] = bound.get(("reopen", key)) or EmptyForm()
    elif status == VersionStatus.APPROVED and editor:
        view.forms["verify"] = bound.get(("verify", key)) or VerifyForm(
            auto_id=f"id_verify_{key}_%s"
        )
    return view


def _playbook_view(request, playbook, *, needed, approver, bound):
    versions = list(playbook.versions.all())
    editor = services.can_edit(request.user, playbook)
    approved = next((v for v in versions if v.status == VersionStatus.APPROVED), None)

    def views(status):
        return [
            _version_view(
                request,
                v,
                approved=approved,
                needed=needed,
                editor=editor,
                approver=approver,
                bound=bound,
            )
            for v in versions
            if v.status == status
        ]

    entry = PlaybookView(
        playbook=playbook,
        approved=(views(VersionStatus.APPROVED) or [None])[0],
        in_review=views(VersionStatus.IN_REVIEW),
        drafts=views(VersionStatus.DRAFT),
        rejected=views(VersionStatus.REJECTED),
        superseded=[v for v in versions if v.status == VersionStatus.SUPERSEDED],
        verifications=sorted(
            (verification for v in versions for verification in v.verifications.all()),
            key=lambda verification: verification.verified_at,
            reverse=True,
        ),
    )
    if editor:
        base = approved or (versions[0] if versions else None)
        entry.new_draft_form = bound.get(("new", playbook.pk)) or DraftForm(
            initial={
                "content": base.content if base else "",
                "steps": steps_as_lines(base.steps.all()) if base else "",
            },
            auto_id=f"id_new_{playbook.pk}_%s",
        )
    return entry


def _service_page(request, service, *, bound=None, status=200):
    bound = bound or {}
    playbooks = service.playbooks.select_related("incident_type").prefetch_related(
        Prefetch(
            "versions",
            queryset=PlaybookVersion.objects.select_related("author").prefetch_related(
                "steps",
                Prefetch(
                    "approvals",
                    queryset=PlaybookApproval.objects.select_related("approver"),
                ),
                "verifications__verified_by",
            ),
        )
    )
    needed = services.approvals_required(service)
    approver = services.can_approve(request.user, service)
    editor = services.can_edit(request.user, None)
    row = selectors.service_coverage(service)
    context = {
        "service": service,
        "row": row,
        "playbooks": [
            _playbook_view(request, p, needed=needed, approver=approver, bound=bound)
            for p in playbooks
        ],
        "needed": needed,
        "can_edit": editor,
        "can_approve": approver,
        "new_playbook_form": (
            (bound.get(("playbook",)) or NewPlaybookForm(service=service, auto_id="id_pb_%s"))
            if editor
            else None
        ),
    }
    return render(request, "playbooks/service.html", context, status=status)


def _get_service(request, slug):
    """The service if the user may see it (404 otherwise), with what its coverage needs."""
    return get_object_or_404(selectors.service_list(user=request.user), slug=slug)


@login_required
def service_detail(request, slug):
    return _service_page(request, _get_service(request, slug))


# --- Actions --------------------------------------------------------------------------------


def _refused(request, service, error, form, bound_key):
    """A refusal in the service's words: field errors on the form (input kept), the others as a
    message; the page again with the matching status."""
    status = show_refusal(request, error, form, unplaced_as_message=True)
    return _service_page(request, service, bound={bound_key: form}, status=status)


def _invalid(request, service, form, bound_key):
    messages.error(request, _("Check the form below."))
    form.focus_first_error()
    return _service_page(request, service, bound={bound_key: form}, status=400)


def _approved_message(version):
    if version.status == VersionStatus.APPROVED:
        return _("%(version)s is approved and now the playbook in force.") % {"version": version}
    missing = services.approvals_required(version.playbook.service) - version.approvals.count()
    return ngettext(
        "Your approval of %(version)s is recorded; it needs %(n)d more.",
        "Your approval of %(version)s is recorded; it needs %(n)d more.",
        missing,
    ) % {"version": version, "n": missing}


ACTIONS = {
    "edit": DraftForm,
    "submit": EmptyForm,
    "approve": ApproveForm,
    "reject": RejectForm,
    "reopen": EmptyForm,
    "verify": VerifyForm,
}


def _run(action, actor, version, data):
    """Call the service for `action`; the message to show when it went through."""
    names = {"version": version}
    if action == "edit":
        services.playbook_version_edit(actor=actor, version=version, **data)
        return _("%(version)s saved.") % names
    if action == "submit":
        services.playbook_version_submit(actor=actor, version=version)
        return _("%(version)s was submitted for review.") % names
    if action == "approve":
        return _approved_message(
            services.playbook_version_approve(actor=actor, version=version, **data)
        )
    if action == "reject":
        services.playbook_version_reject(actor=actor, version=version, **data)
        return _("%(version)s was rejected; its author can reopen it as a draft.") % names
    if action == "reopen":
        services.playbook_version_reopen(actor=actor, version=version)
        return _("%(version)s is a draft again.") % names
    services.playbook_version_verify(actor=actor, version=version, **data)
    return _("Verification of %(version)s recorded.") % names


@require_POST
@login_required
def version_action(request, pk, action):
    if action not in ACTIONS:
        raise Http404("No such action.")
    version = get_object_or_404(PlaybookVersion.objects.select_related("playbook__service"), pk=pk)
    service = _get_service(request, version.playbook.service.slug)
    form = ACTIONS[action](request.POST, auto_id=f"id_{action}_{pk}_%s")
    bound_key = (action, pk)
    if not form.is_valid():
        return _invalid(request, service, form, bound_key)
    try:
        done = _run(action, request.user, version, form.cleaned_data)
    except PORTAL_REFUSALS as error:
        return _refused(request, service, error, form, bound_key)
    messages.success(request, done)
    return redirect(f"{reverse('playbooks:service', args=[service.slug])}#v{pk}")


@require_POST
@login_required
def version_new(request, pk):
    playbook = get_object_or_404(Playbook.objects.select_related("service"), pk=pk)
    service = _get_service(request, playbook.service.slug)
    form = DraftForm(request.POST, auto_id=f"id_new_{pk}_%s")
    bound_key = ("new", pk)
    if not form.is_valid():
        return _invalid(request, service, form, bound_key)
    try:
        version = services.playbook_version_create(
            actor=request.user, playbook=playbook, **form.cleaned_data
        )
    except PORTAL_REFUSALS as error:
        return _refused(request, service, error, form, bound_key)
    messages.success(
        request, _("Draft %(version)s created: submit it when it is ready.") % {"version": version}
    )
    return redirect(f"{reverse('playbooks:service', args=[service.slug])}#v{version.pk}")


@require_POST
@login_required
def playbook_new(request, slug):
    service = _get_service(request, slug)
    form = NewPlaybookForm(request.POST, service=service, auto_id="id_pb_%s")
    bound_key = ("playbook",)
    if not form.is_valid():
        return _invalid(request, service, form, bound_key)
    try:
        version = services.playbook_create(actor=request.user, service=service, **form.cleaned_data)
    except PORTAL_REFUSALS as error:
        return _refused(request, service, error, form, bound_key)
    messages.success(
        request,
        _("Playbook “%(playbook)s” created with its first draft.") % {"playbook": version.playbook},
    )
    return redirect(f"{reverse('playbooks:service', args=[slug])}#v{version.pk}")
