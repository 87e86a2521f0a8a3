"""Reads for a user. Every incident a user reaches comes through here, scoped by access."""

from datetime import timedelta

from django.conf import settings
from django.db.models import DateTimeField, ExpressionWrapper, F, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from . import access
from .models import Incident, IncidentCriterion, IncidentStatus, StatusUpdate


def _latest_update(field):
    return Subquery(
        StatusUpdate.objects.filter(incident=OuterRef("pk"))
        .order_by("-posted_at", "-id")
        .values(field)[:1]
    )


def _first_update_due():
    """Before any update, the first one is due a cadence after declaration."""
    cadence = timedelta(minutes=settings.BEACON_DEFAULT_UPDATE_CADENCE_MINUTES)
    return ExpressionWrapper(F("declared_at") + cadence, output_field=DateTimeField())


def incident_list(*, user, filters=None):
    """Incidents `user` may see, with what a list shows, in a constant number of queries."""
    queryset = (
        Incident.objects.filter(access.visible_incidents_q(user))
        .select_related(
            "incident_type", "severity", "priority", "declared_by", "commander", "responder"
        )
        .annotate(
            last_update_at=_latest_update("posted_at"),
            next_update_due=Coalesce(_latest_update("next_update_due"), _first_update_due()),
        )
    )
    return queryset.filter(**(filters or {}))


def incident_active_list(*, user):
    return incident_list(user=user, filters={"status__in": IncidentStatus.active()}).order_by(
        "severity__rank", "declared_at"
    )


def incident_get(*, user, reference):
    """The incident with this reference (or id) if `user` may see it; 404 otherwise."""
    lookup = {"pk": int(reference)} if str(reference).isdigit() else {"reference": reference}
    incident = (
        incident_list(user=user)
        .prefetch_related(
            "invitees",
            Prefetch(
                "criteria", queryset=IncidentCriterion.objects.select_related("met_by", "waived_by")
            ),
        )
        .filter(**lookup)
        .first()
    )
    if incident is None:
        raise Http404("No such incident.")
    return incident


def incident_timeline(*, incident):
    return incident.timeline.select_related("actor").order_by("created_at", "id")


def incident_updates(*, incident):
    return incident.updates.select_related("posted_by").order_by("-posted_at", "-id")
