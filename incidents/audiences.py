"""Who hears about an incident, and by which methods in which order: resolved here and handed
to the outbox as people and addresses (notifications knows nothing of incidents)."""

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q

from incidents.models import Incident, RoleAssignment
from notifications.methods import Method, drill_method
from notifications.models import Notification, NotificationAudience
from notifications.rendering import Context
from notifications.services import notify
from people.models import CriticalFunction
from people.selectors import delegate_for
from response.models import ResponsePlan

# Used when no active response plan applies: every audience keeps a backup method.
DEFAULT_COMMUNICATION = {
    "responders": [
        ("slack", "incident_channel", ""),
        ("email", "each_person", ""),
        ("sms", "each_person", ""),
    ],
    "stakeholders": [("slack", "broadcast_channel", ""), ("email", "each_person", "")],
    "executives": [("email", "each_person", ""), ("sms", "each_person", "")],
    "customers": [],
}
PRIVATE_AUDIENCES = {"responders", "executives"}


def notify_incident(
    *,
    incident: Incident,
    event: str,
    context: Context,
    audiences: Iterable[str],
    plan: ResponsePlan | None = None,
) -> list[Notification]:
    """Tell each audience of an incident; a drill tells only the drill channel."""
    if incident.is_drill:
        audience, methods = NotificationAudience.DRILL, [drill_method()]
        return [
            notify(event=event, audience=audience, context=context, methods=methods, about=incident)
        ]
    if incident.is_private:  # a security incident is not broadcast beyond who must act
        audiences = [a for a in audiences if a in PRIVATE_AUDIENCES]
    written = []
    for audience in dict.fromkeys(audiences):
        methods = methods_for(incident, audience, plan)
        if methods:
            written.append(
                notify(
                    event=event,
                    audience=audience,
                    context=context,
                    methods=methods,
                    people=people_for(incident, audience),
                    about=incident,
                )
            )
    return written


def methods_for(incident, audience, plan=None):
    """The audience's methods, primary first, from the plan (else the built-in default), with
    the incident's channels resolved to their addresses."""
    if plan is not None:
        specs = [
            (m.channel, m.target, m.address)
            for m in plan.communication_methods.all()
            if m.audience == audience
        ]
    else:
        specs = DEFAULT_COMMUNICATION.get(audience, [])
    return [
        Method(channel, target, _address(incident, target, address))
        for channel, target, address in specs
    ]


def _address(incident, target, address):
    if target == "incident_channel":
        return incident.slack_channel_id or incident.channel_name
    if target == "broadcast_channel":
        return incident.broadcast_channel or settings.SLACK_BROADCAST_CHANNEL
    return address


def people_for(incident, audience):
    """The people of an incident's audience (for methods that reach each person)."""
    User = get_user_model()
    if audience == "responders":
        holders = RoleAssignment.objects.filter(incident=incident, ended_at__isnull=True)
        query = (
            Q(pk__in=holders.values("user"))
            | Q(pk__in=incident.invitees.values("pk"))
            | Q(pk__in=[incident.commander_id, incident.responder_id])
        )
    elif audience == "stakeholders":
        teams = [incident.team_id] if incident.team_id else []
        teams += list(incident.services.values_list("owner_team", flat=True))
        query = Q(team_memberships__team__in=teams)
    elif audience == "executives":
        function = CriticalFunction.objects.filter(slug=settings.BEACON_EXECUTIVE_FUNCTION).first()
        holder = delegate_for(function=function, team=incident.team) if function else None
        query = Q(pk=holder.user.pk) if holder and holder.user else Q(pk__in=[])
    else:
        return []
    people = User.objects.filter(query, is_active=True).select_related("preference")
    return list(people.distinct().order_by("pk"))
