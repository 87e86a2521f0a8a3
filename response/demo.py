"""Demo response plans for `manage.py seed_demo`: one for every incident, a major-incident plan
for SEV1 outages and a private one for security incidents. Made and activated through the
services, so each audience has a backup method and each plan its history; the webhook and Teams
addresses are placeholders that fail (the backup method then takes over)."""

from django.contrib.auth import get_user_model

from people.models import CriticalFunction
from policy.models import IncidentType, SeverityLevel
from response.models import CommunicationMethod, ResponsePlan, ResponsePlanStep
from response.services import response_plan_activate, response_plan_create

STATUS_PAGE_WEBHOOK = "https://status.example.invalid/hooks/beacon"
TEAMS_WEBHOOK = "https://example.invalid/teams-webhook"
SUPPORT_EMAIL = "support@example.com"

# (action, title, paged function slug, audience)
OPENING = [
    ("create_channel", "", None, ""),
    ("invite_people", "", None, ""),
    ("broadcast", "", None, ""),
]
LINKS = [
    ("post_playbook", "", None, ""),
    ("post_document", "", None, ""),
    ("video_bridge", "", None, ""),
    ("schedule_reminders", "", None, ""),
]
SCRIBE = ("manual", "Assign a scribe and open the incident document", None, "")

# audience: [(channel, target, address)], primary first
RESPONDERS = [
    ("slack", "incident_channel", ""),
    ("email", "each_person", ""),
    ("sms", "each_person", ""),
]
COMMUNICATION = {
    "responders": RESPONDERS,
    "stakeholders": [("slack", "broadcast_channel", ""), ("email", "each_person", "")],
    "executives": [("email", "each_person", ""), ("sms", "each_person", "")],
    "customers": [
        ("webhook", "fixed", STATUS_PAGE_WEBHOOK),
        ("email", "fixed", SUPPORT_EMAIL),
    ],
}

# name: (incident type slug, severity name, description, steps, communication)
PLANS = {
    "Every incident": (
        None,
        None,
        "The default: channel, broadcast, links and reminders; everyone told with a backup.",
        [*OPENING, *LINKS, SCRIBE],
        COMMUNICATION,
    ),
    "Major outage (SEV1)": (
        "outage",
        "SEV1",
        "A SEV1 outage: pages the communications lead and an executive, keeps customers on the "
        "status page and stakeholders on an hourly call.",
        [
            *OPENING,
            ("page_function", "", "communications-lead", ""),
            ("page_function", "", "executive", ""),
            *LINKS,
            SCRIBE,
            ("manual", "Open the status page incident", None, ""),
            ("manual", "Schedule a stakeholder call every hour", None, ""),
        ],
        {
            **COMMUNICATION,
            "stakeholders": [*COMMUNICATION["stakeholders"], ("teams", "fixed", TEAMS_WEBHOOK)],
        },
    ),
    "Security incident": (
        "security",
        None,
        "Private: only the responders are told, in the private channel; pages the security lead.",
        [
            *OPENING[:2],
            ("broadcast", "", None, "responders"),
            ("page_function", "", "security-lead", ""),
            *LINKS,
            SCRIBE,
        ],
        {"responders": RESPONDERS},
    ),
}


def seed_response_plans():
    """Create and activate the demo plans through the services as the demo's admin, unless
    there are plans already."""
    if ResponsePlan.objects.exists():
        return
    admin = get_user_model().objects.get(username="admin")
    lookups = (
        {f.slug: f for f in CriticalFunction.objects.all()},
        {t.slug: t for t in IncidentType.objects.all()},
        {s.name: s for s in SeverityLevel.objects.all()},
    )
    for name, spec in PLANS.items():
        response_plan_activate(plan=_create(admin, name, *spec, lookups), actor=admin)


def _create(admin, name, kind, severity, description, steps, communication, lookups):
    functions, types, severities = lookups
    return response_plan_create(
        actor=admin,
        name=name,
        incident_type=types[kind] if kind else None,
        severity=severities[severity] if severity else None,
        description=description,
        steps=[
            ResponsePlanStep(
                position=position,
                action=action,
                title=title,
                function=functions[function] if function else None,
                audience=audience,
            )
            for position, (action, title, function, audience) in enumerate(steps)
        ],
        methods=[
            CommunicationMethod(
                audience=audience, rank=rank, channel=channel, target=target, address=address
            )
            for audience, methods in communication.items()
            for rank, (channel, target, address) in enumerate(methods)
        ],
    )
