"""Portal: time logged on an incident (log, remove) and the monthly reports on effort, cost and
policy compliance. Views load through selectors, parse a form and call a service."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import costing, monthly_compliance, months, panels, selectors, services
from .models import EffortEntry
from .views import _incident_page


def _back_to_effort(incident):
    return redirect(reverse("portal:incident", args=[incident.reference]) + "#effort")


@require_POST
@login_required
def effort_log(request, reference):
    incident = selectors.incident_get(user=request.user, reference=reference)
    form = panels.effort_form(incident, request.user, request.POST)
    bound = {panels.EFFORT_FORM_KEY: form}
    if not form.is_valid():
        form.focus_first_error()
        return _incident_page(request, incident, bound=bound, status=400)
    try:
        entry = services.effort_log(actor=request.user, incident=incident, **form.cleaned_data)
    except ValidationError as error:
        form.add_service_errors(error)
        return _incident_page(request, incident, bound=bound, status=400)
    messages.success(
        request,
        _("Logged %(hours)s h on %(ref)s.")
        % {"hours": f"{entry.hours.normalize():f}", "ref": incident.reference},
    )
    return _back_to_effort(incident)


@require_POST
@login_required
def effort_remove(request, reference, entry_id):
    incident = selectors.incident_get(user=request.user, reference=reference)
    entry = get_object_or_404(EffortEntry, incident=incident, pk=entry_id)
    services.effort_remove(actor=request.user, entry=entry)  # PermissionDenied answers 403
    messages.success(request, _("Time entry removed from %(ref)s.") % {"ref": incident.reference})
    return _back_to_effort(incident)


@login_required
def reports(request):
    """Monthly effort and cost against the policy's expectation, and compliance, by severity."""
    status = 200
    month = months.this_month()
    if request.GET.get("month"):
        try:
            month = months.parse_month(request.GET["month"])
        except ValueError:
            messages.error(request, _("Choose a month as YYYY-MM; showing this month instead."))
            status = 400
    context = {
        "month": month,
        "previous_month": months.shift_month(month, -1),
        "next_month": months.shift_month(month, 1),
        "is_this_month": month == months.this_month(),
        "effort": costing.effort_report(user=request.user, month=month),
        "compliance": monthly_compliance.compliance_report(user=request.user, month=month),
    }
    return render(request, "incidents/reports/monthly.html", context, status=status)
