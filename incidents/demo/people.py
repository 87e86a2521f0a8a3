"""Demo people for `manage.py seed_demo`: the admin and the demo users, their teams, the
critical functions and who is delegated to fill them, and one planned absence."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from incidents import roles
from people import services as people_services
from people.models import (
    CriticalFunction,
    Delegation,
    Team,
    TeamMembership,
    Unavailability,
    UnavailabilityReason,
    UserPreference,
)

USERS = [
    ("cora", "Cora", "Commander", roles.COMMANDERS),
    ("rudy", "Rudy", "Responder", roles.RESPONDERS),
    ("stella", "Stella", "Stakeholder", roles.STAKEHOLDERS),
    ("sam", "Sam", "Security", settings.BEACON_SECURITY_GROUP),
    ("pat", "Pat", "Payments", roles.COMMANDERS),
    ("gina", "Gina", "Growth", roles.RESPONDERS),
    ("erin", "Erin", "Executive", roles.STAKEHOLDERS),
]
# slug: (name, lead, members)
TEAMS = {
    "platform": ("Platform", "cora", ["rudy", "sam"]),
    "payments": ("Payments", "pat", ["rudy"]),
    "growth": ("Growth", "gina", ["stella"]),
}
# slug: (name, fills the incident's, cost weight, duties)
FUNCTIONS = {
    "incident-commander": (
        "Incident commander",
        "commander",
        "1.50",
        "Owns the incident: coordinates, decides, posts status updates.",
    ),
    "responder": (
        "Responder / operations lead",
        "responder",
        "1.00",
        "Investigates and mitigates; runs the playbook.",
    ),
    "communications-lead": (
        "Communications lead",
        "",
        "1.00",
        "Keeps stakeholders and customers informed on the agreed channels.",
    ),
    "scribe": ("Scribe", "", "0.75", "Keeps the timeline complete for the postmortem."),
    "security-lead": (
        "Security lead",
        "",
        "1.50",
        "Leads security incidents: containment, evidence, disclosure.",
    ),
    "executive": ("Executive", "", "2.00", "Decides on customer and legal communication."),
}
# (function, team or None): delegates by rank. Security lead has one person: the demo's
# deliberate single point of failure.
DELEGATIONS = {
    ("incident-commander", None): ["cora", "pat", "rudy"],
    ("incident-commander", "payments"): ["pat", "cora"],
    ("responder", None): ["rudy", "gina", "sam"],
    ("communications-lead", None): ["stella", "gina"],
    ("scribe", None): ["gina", "stella"],
    ("security-lead", None): ["sam"],
    ("executive", None): ["erin", "pat"],
}


def seed_users(password):
    User = get_user_model()
    if not User.objects.filter(username="admin").exists():
        User.objects.create_superuser("admin", "admin@example.com", password)
    people = {}
    for number, (username, first, last, group) in enumerate(USERS, start=1):
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@example.com",
                "is_staff": True,
            },
        )
        if created:
            user.set_password(password)
            user.save()
        user.groups.add(Group.objects.get(name=group))
        # A phone for SMS and voice; no Slack id: Slack finds people by their email.
        if not UserPreference.objects.filter(user=user).exists():  # a second run keeps edits
            people_services.preference_update(actor=user, user=user, phone=f"+15550100{number:02d}")
        people[username] = user
    return people


def seed_delegates(people):
    for slug, (name, lead, members) in TEAMS.items():
        team, _ = Team.objects.get_or_create(
            slug=slug, defaults={"name": name, "signs_off_policy": True}
        )
        TeamMembership.objects.get_or_create(
            team=team, user=people[lead], defaults={"is_lead": True}
        )
        for member in members:
            TeamMembership.objects.get_or_create(team=team, user=people[member])
    for position, (slug, (name, field, weight, duties)) in enumerate(FUNCTIONS.items()):
        CriticalFunction.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "incident_field": field,
                "cost_weight": Decimal(weight),
                "duties": duties,
                "position": position,
            },
        )
    if Delegation.objects.exists():
        return
    for (function, team), usernames in DELEGATIONS.items():
        for rank, username in enumerate(usernames, start=1):
            Delegation.objects.create(
                function=CriticalFunction.objects.get(slug=function),
                team=Team.objects.get(slug=team) if team else None,
                user=people[username],
                rank=rank,
            )
    soon = timezone.now() + timedelta(days=5)
    Unavailability.objects.create(
        user=people["rudy"],
        starts_at=soon,
        ends_at=soon + timedelta(days=4),
        reason=UnavailabilityReason.HOLIDAY,
        note="Family trip",
    )
