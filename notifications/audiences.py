"""Who hears about an incident, and by which methods in which order."""

from dataclasses import asdict, dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q

from incidents.delegation import delegate_for
from incidents.models import CriticalFunction, RoleAssignment

from .channels import get_adapter

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


@dataclass(frozen=True)
class Method:
    channel: str
    target: str
    address: str = ""

    def as_dict(self):
        return asdict(self)


def methods_for(incident, audience, plan=None):
    """The audience's methods, primary first, from the plan (else the built-in default)."""
    if plan is not None:
        return [
            Method(m.channel, m.target, m.address)
            for m in plan.communication_methods.all()
            if m.audience == audience
        ]
    return [Method(*spec) for spec in DEFAULT_COMMUNICATION.get(audience, [])]


def direct_methods(channels):
    return [Method(channel, "each_person") for channel in channels]


def drill_method():
    channel, _, address = settings.BEACON_DRILL_CHANNEL.partition(":")
    return Method(channel, "fixed", address)


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


def contact_address(person, channel):
    preference = getattr(person, "preference", None)
    if channel == "email":
        return person.email
    if channel in ("sms", "voice"):
        return preference.phone if preference else ""
    if channel == "slack":
        return (preference.slack_user_id if preference else "") or person.email
    return ""


def addresses(method, *, incident, people):
    """(address, person) pairs a method reaches; empty when it reaches nobody."""
    if not get_adapter(method.channel).is_configured():
        return []
    if method.target == "each_person":
        pairs = [(contact_address(p, method.channel), p) for p in people]
        return [(address, person) for address, person in pairs if address]
    if method.target == "incident_channel":
        address = incident and (incident.slack_channel_id or incident.channel_name)
    elif method.target == "broadcast_channel":
        address = incident and (incident.broadcast_channel or settings.SLACK_BROADCAST_CHANNEL)
    else:
        address = method.address
    return [(address, None)] if address else []
