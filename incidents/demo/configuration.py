"""Demo configuration for `manage.py seed_demo`: severity levels, priorities, and incident
types with their exit criteria. Kept as they are when they exist already."""

from django.contrib.auth import get_user_model

from policy import services
from policy.models import ExitCriterion, IncidentType, Priority, SeverityLevel

SEVERITIES = [
    (
        "SEV1",
        "Critical: a core service is down for most customers.",
        "Customers cannot use the product; revenue or data at risk.",
    ),
    (
        "SEV2",
        "Major: a core feature is broken or badly degraded for many customers.",
        "A significant share of customers is blocked or sees errors.",
    ),
    (
        "SEV3",
        "Minor: a non-core feature is degraded, a workaround exists.",
        "Some customers are inconvenienced.",
    ),
    ("SEV4", "Low: cosmetic or internal impact only.", "Little or no customer impact."),
]
PRIORITIES = [
    ("P1", "Drop everything; fix now."),
    ("P2", "Fix today."),
    ("P3", "Fix this week."),
    ("P4", "Fix when convenient."),
]
TYPES = {
    "Outage": (
        False,
        [
            ("Error rate and latency back within SLO for 30 minutes", True),
            ("Customers informed on the status page", True),
            ("Temporary mitigations recorded for follow-up", True),
            ("Dashboards annotated with the incident window", False),
        ],
    ),
    "Degradation": (
        False,
        [
            ("Key metric back to its baseline for 30 minutes", True),
            ("Customers informed if they noticed", False),
        ],
    ),
    "Security": (
        True,
        [
            ("Attacker access revoked and credentials rotated", True),
            ("Scope of exposed data assessed", True),
            ("Legal and the DPO informed where personal data is involved", True),
        ],
    ),
    "Data loss": (
        False,
        [
            ("Data restored or loss quantified", True),
            ("Affected customers identified and informed", True),
            ("Backups verified restorable", True),
        ],
    ),
}


def seed_configuration():
    """The levels and types missing, each through the policy's services as the demo's admin,
    so that a second run records nothing."""
    admin = get_user_model().objects.get(username="admin")
    for rank, (name, description, impact) in enumerate(SEVERITIES, start=1):
        if not SeverityLevel.objects.filter(name=name).exists():
            services.severity_level_create(
                actor=admin, name=name, rank=rank, description=description, customer_impact=impact
            )
    for rank, (name, description) in enumerate(PRIORITIES, start=1):
        if not Priority.objects.filter(name=name).exists():
            services.priority_create(actor=admin, name=name, rank=rank, description=description)
    for name, (private, criteria) in TYPES.items():
        slug = name.lower().replace(" ", "-")
        if not IncidentType.objects.filter(slug=slug).exists():
            services.incident_type_create(
                actor=admin,
                name=name,
                slug=slug,
                private_by_default=private,
                criteria=[
                    ExitCriterion(text=text, required=required, position=i)
                    for i, (text, required) in enumerate(criteria, start=1)
                ],
            )
