"""Reads for a user. Every incident a user reaches comes through here, scoped by access."""

from collections.abc import Mapping

from django.contrib.auth.models import User
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.http import Http404

from core.lookups import as_pk

from . import access
from .access import AnyUser
from .models import (
    ApiToken,
    Incident,
    IncidentCriterion,
    IncidentPlaybook,
    IncidentPlaybookStep,
    IncidentStatus,
    RoleAssignment,
    StatusUpdate,
    TimelineEvent,
)


def _latest_update(field: str) -> Subquery:
    return Subquery(
        StatusUpdate.objects.filter(incident=OuterRef("pk"))
        .order_by("-posted_at", "-id")
        .values(field)[:1]
    )


def incident_list(
    *, user: AnyUser, filters: Mapping[str, object] | None = None
) -> QuerySet[Incident]:
    """Incidents `user` may see, with what a list shows, in a constant number of queries."""
    queryset = (
        Incident.objects.filter(access.visible_incidents_q(user))
        .select_related(
            "incident_type", "severity", "priority", "declared_by", "commander", "responder"
        )
        .annotate(
            last_update_at=_latest_update("posted_at"),
        )
    )
    return queryset.filter(**(filters or {}))


def incident_active_list(*, user: AnyUser) -> QuerySet[Incident]:
    return incident_list(user=user, filters={"status__in": IncidentStatus.active()}).order_by(
        "severity__rank", "declared_at"
    )


def incident_get(*, user: AnyUser, reference: str | int) -> Incident:
    """The incident with this reference (or id) if `user` may see it; 404 otherwise."""
    pk = as_pk(str(reference))
    lookup = {"pk": pk} if pk is not None else {"reference": reference}
    incident = (
        incident_list(user=user)
        .prefetch_related(
            "invitees",
            "slack_participants",
            "services",
            Prefetch(
                "criteria", queryset=IncidentCriterion.objects.select_related("met_by", "waived_by")
            ),
            Prefetch(
                "playbook_links",
                queryset=IncidentPlaybook.objects.select_related("service", "version__playbook"),
            ),
            Prefetch(
                "playbook_steps",
                queryset=IncidentPlaybookStep.objects.select_related(
                    "service", "version", "done_by"
                ),
            ),
        )
        .filter(**lookup)
        .first()
    )
    if incident is None:
        raise Http404("No such incident.")
    return incident


def incident_timeline(*, incident: Incident) -> QuerySet[TimelineEvent]:
    return incident.timeline.select_related("actor").order_by("created_at", "id")


def incident_updates(*, incident: Incident) -> QuerySet[StatusUpdate]:
    return incident.updates.select_related("posted_by").order_by("-posted_at", "-id")


def roles_to_check_for_handover() -> list[int]:
    """Current roles on active incidents whose holders were not yet reminded to hand over."""
    return list(
        RoleAssignment.objects.filter(
            ended_at=None, handover_reminded_at=None, incident__status__in=IncidentStatus.active()
        ).values_list("pk", flat=True)
    )


def active_incident_ids() -> list[int]:
    return list(
        Incident.objects.filter(status__in=IncidentStatus.active()).values_list("pk", flat=True)
    )


def api_token_of(*, user: User) -> ApiToken | None:
    """`user`'s active API token, or None."""
    return ApiToken.objects.filter(user=user, revoked_at=None).first()
