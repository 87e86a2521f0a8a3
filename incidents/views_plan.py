"""Portal: ticking off a manual step of an incident's response plan.

The step has no input: a refusal is shown as a message on the incident page (400 for the
step's own refusal, 409 once the incident is no longer active, 403 for who may not act).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.exceptions import TransitionNotAllowed
from core.views_refusals import show_refusal

from . import selectors, services
from .views import _incident_page


@require_POST
@login_required
def plan_step_done(request, reference, step_id):
    incident = selectors.incident_get(user=request.user, reference=reference)
    try:
        step = services.incident_complete_plan_step(
            incident=incident, actor=request.user, step_id=step_id
        )
    except (ValidationError, TransitionNotAllowed) as error:  # PermissionDenied answers 403
        return _incident_page(request, incident, status=show_refusal(request, error))
    messages.success(request, _("Done: %(step)s.") % {"step": step.title})
    return redirect(reverse("portal:incident", args=[incident.reference]) + "#plan")
