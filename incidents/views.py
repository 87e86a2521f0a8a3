"""The staff portal. Views load through selectors, parse a form and call a service; `access`
decides which forms are shown, the services decide what is allowed."""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.exceptions import TransitionNotAllowed
from core.views_refusals import show_refusal
from incidents import (
    access,
    panels,
    selectors,
    selectors_escalation,
    services,
    views_roles,
    views_tokens,
)
from incidents.models import IncidentSource, IncidentStatus
from people import views as views_people
from people.models import UserPreference
from playbooks import selectors as playbook_selectors
from policy.models import SeverityLevel

from . import forms as portal_forms

PAGE_SIZE = 25


@login_required
def dashboard(request):
    incidents = selectors_escalation.ack_overdue_first(
        selectors.incident_active_list(user=request.user)
    )
    counts = Counter(incident.severity_id for incident in incidents)
    playbook_coverage = playbook_selectors.coverage_for(user=request.user)
    context = {
        "incidents": incidents,
        "severity_counts": [(level, counts[level.pk]) for level in SeverityLevel.objects.all()],
        "can_declare": access.can_declare(request.user),
        "spof_count": views_people.spof_count(),
        "playbook_coverage": (
            sum(1 for row in playbook_coverage if row.is_covered),
            len(playbook_coverage),
        ),
    }
    return render(request, "incidents/dashboard.html", context)


@login_required
def incident_list(request):
    filterset = portal_forms.PortalIncidentFilter(
        request.GET or None, queryset=selectors.incident_list(user=request.user)
    )
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "incidents/incident_list.html", {"filter": filterset, "page": page})


@login_required
def incident_declare(request):
    if not access.can_declare(request.user):
        raise PermissionDenied(_("You are not allowed to declare incidents."))
    form = portal_forms.DeclareForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            incident = services.incident_declare(
                actor=request.user, source=IncidentSource.PORTAL, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                _("%(ref)s declared. Channel: %(channel)s")
                % {"ref": incident.reference, "channel": incident.channel_name},
            )
            return redirect("portal:incident", reference=incident.reference)
    else:
        form.focus_first_error()
    status = 400 if form.errors else 200
    return render(request, "incidents/declare.html", {"form": form}, status=status)


@dataclass(frozen=True)
class Action:
    form: type[portal_forms.ActionForm]
    service: Callable
    done: str


ACTIONS = {
    "acknowledge": Action(
        portal_forms.AcknowledgeForm,
        services.incident_acknowledge,
        gettext_lazy("%(ref)s acknowledged."),
    ),
    "status": Action(
        portal_forms.StatusForm,
        services.incident_change_status,
        gettext_lazy("Status of %(ref)s changed."),
    ),
    "severity": Action(
        portal_forms.SeverityForm,
        services.incident_change_severity,
        gettext_lazy("Severity of %(ref)s changed."),
    ),
    "update": Action(
        portal_forms.UpdateForm,
        services.incident_post_update,
        gettext_lazy("Status update posted to %(ref)s."),
    ),
    "resolve": Action(
        portal_forms.ResolveForm, services.incident_resolve, gettext_lazy("%(ref)s resolved.")
    ),
    "close": Action(
        portal_forms.CloseForm, services.incident_close, gettext_lazy("%(ref)s closed.")
    ),
    "cancel": Action(
        portal_forms.CancelForm, services.incident_cancel, gettext_lazy("%(ref)s cancelled.")
    ),
    "note": Action(
        portal_forms.NoteForm, services.incident_add_note, gettext_lazy("Note added to %(ref)s.")
    ),
    "handover": Action(
        views_roles.HandoverForm,
        services.incident_hand_over_role,
        gettext_lazy("Role handed over on %(ref)s."),
    ),
}
CRITERION_ACTIONS = {
    "met": Action(
        portal_forms.OptionalNoteForm,
        services.incident_check_exit_criterion,
        gettext_lazy("Exit criterion of %(ref)s marked as met."),
    ),
    "waive": Action(
        portal_forms.CriterionWaiveForm,
        services.incident_waive_exit_criterion,
        gettext_lazy("Exit criterion of %(ref)s waived."),
    ),
}
STEP_ACTIONS = {
    "done": Action(
        portal_forms.OptionalNoteForm,
        services.incident_complete_playbook_step,
        gettext_lazy("Playbook step of %(ref)s done."),
    ),
}


def service_page_url(service):
    """The service's playbook page in the portal, where that page exists."""
    try:
        return reverse("playbooks:service", args=[service.slug])
    except NoReverseMatch:
        return None


def _form(key, form_class, incident, user, data=None):
    # Many forms share one page: give each its own HTML ids, keep plain field names.
    return form_class(data, incident=incident, user=user, auto_id=f"id_{key}_%s")


def _incident_page(request, incident, *, bound=None, status=200):
    """The incident page; `bound` holds a submitted form to show again with its errors."""
    user, bound = request.user, bound or {}

    def form(key, form_class):
        return bound[key] if key in bound else _form(key, form_class, incident, user)

    criteria = [
        (
            criterion,
            form(f"met-{criterion.pk}", portal_forms.OptionalNoteForm),
            form(f"waive-{criterion.pk}", portal_forms.CriterionWaiveForm),
        )
        for criterion in incident.criteria.all()
    ]
    steps = {}
    for step in incident.playbook_steps.all():
        steps.setdefault(step.service_id, []).append(
            (step, form(f"done-{step.pk}", portal_forms.OptionalNoteForm))
        )
    playbooks = [
        (link, service_page_url(link.service), steps.get(link.service_id, []))
        for link in incident.playbook_links.all()
    ]
    context = {
        "incident": incident,
        "forms": {key: form(key, action.form) for key, action in ACTIONS.items()},
        "criteria": criteria,
        "playbooks": playbooks,
        "unmet": services.unmet_required_criteria(incident),
        "can_act": access.can_act(user, incident),
        "can_waive": access.can_waive(user, incident),
        "updates": selectors.incident_updates(incident=incident),
        "timeline": selectors.incident_timeline(incident=incident),
        "escalations": selectors_escalation.escalation_state(incident),
        "final_states": (IncidentStatus.CLOSED, IncidentStatus.CANCELLED),
        **panels.incident_panels(incident=incident, user=user, bound=bound),
        **panels.response_panels(incident=incident),
        **views_roles.roles_panel(incident=incident),
    }
    return render(request, "incidents/incident_detail.html", context, status=status)


@login_required
def incident_detail(request, reference):
    incident = selectors.incident_get(user=request.user, reference=reference)
    return _incident_page(request, incident)


def _act(request, reference, key, action, **service_kwargs):
    """Run one action: parse its form, call its service, redirect; on refusal show the page."""
    incident = selectors.incident_get(user=request.user, reference=reference)
    form = _form(key, action.form, incident, request.user, request.POST)
    if not form.is_valid():
        form.focus_first_error()
        return _incident_page(request, incident, bound={key: form}, status=400)
    try:
        action.service(incident=incident, actor=request.user, **form.cleaned_data, **service_kwargs)
    except (ValidationError, TransitionNotAllowed) as error:  # PermissionDenied answers 403
        status = show_refusal(request, error, form)
        return _incident_page(request, incident, bound={key: form}, status=status)
    messages.success(request, action.done % {"ref": incident.reference})
    return redirect("portal:incident", reference=incident.reference)


@require_POST
@login_required
def incident_action(request, reference, action):
    if action not in ACTIONS:
        raise Http404("No such action.")
    return _act(request, reference, action, ACTIONS[action])


@require_POST
@login_required
def criterion_action(request, reference, criterion_id, action):
    if action not in CRITERION_ACTIONS:
        raise Http404("No such action.")
    key = f"{action}-{criterion_id}"
    return _act(request, reference, key, CRITERION_ACTIONS[action], criterion_id=criterion_id)


@require_POST
@login_required
def playbook_step_action(request, reference, step_id, action):
    if action not in STEP_ACTIONS:
        raise Http404("No such action.")
    key = f"{action}-{step_id}"
    return _act(request, reference, key, STEP_ACTIONS[action], step_id=step_id)


@login_required
@never_cache  # it may show a new API token
def preferences(request):
    preference = UserPreference.objects.filter(user=request.user).first()
    form = portal_forms.PreferenceForm(
        request.POST or None, instance=preference or UserPreference(user=request.user)
    )
    form.actor = request.user
    if request.method == "POST" and form.is_valid():  # saved by the service as it validated
        messages.success(
            request,
            _("Preferences saved. Times are shown in %(zone)s.") % {"zone": form.result.time_zone},
        )
        return redirect("portal:preferences")
    status = 400 if form.errors else 200
    context = {"form": form, **views_tokens.token_section(request)}
    return render(request, "incidents/preferences.html", context, status=status)
