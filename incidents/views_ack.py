"""The landing page of a page's acknowledgement link. GET only asks (link previewers and mail
scanners open links); the one button POSTs. No session and no CSRF token: the signed token in
the address is the credential, names its person, and can only acknowledge, so a forged
cross-site POST would need the token itself."""

from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from core.exceptions import TransitionNotAllowed
from core.names import display_name
from incidents.names import outbound_name

from . import access, services
from .ack_links import ack_link_read
from .models import AckVia

TEMPLATE = "incidents/ack_link.html"


@csrf_exempt
@require_http_methods(["GET", "POST"])
def ack_link(request, token):
    try:
        incident, user = ack_link_read(token)
    except ValidationError as error:
        return render(request, TEMPLATE, {"refusal": " ".join(error.messages)}, status=400)
    if not access.can_acknowledge(user, incident):
        refusal = _("You may no longer acknowledge this incident.")
        return render(request, TEMPLATE, {"refusal": refusal}, status=403)
    context = {
        "reference": incident.reference,
        "title": outbound_name(incident),
        "person": display_name(user),
        "acknowledged_at": incident.acknowledged_at,
    }
    if incident.acknowledged_at is not None:
        return render(request, TEMPLATE, context, status=409 if request.method == "POST" else 200)
    if request.method == "GET":
        return render(request, TEMPLATE, context)
    try:
        incident = services.incident_acknowledge(incident=incident, actor=user, via=AckVia.LINK)
    except TransitionNotAllowed as error:  # resolved or cancelled since the page
        return render(request, TEMPLATE, {**context, "refusal": str(error)}, status=409)
    return render(request, TEMPLATE, {**context, "acknowledged_at": incident.acknowledged_at})
