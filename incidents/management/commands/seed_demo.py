"""Demo data for a first look: `manage.py seed_demo`. Safe to run again; it adds what is missing.

Incidents are created through the services, so their timelines are real. The admin and demo
passwords are generated once, kept in var/demo-credentials.txt (never in the repository), and
printed on every run.
"""

import secrets
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from incidents import roles, services
from incidents.models import CancelReason, Incident, IncidentSource
from people.models import (
    CriticalFunction,
    Delegation,
    Team,
    TeamMembership,
    Unavailability,
    UnavailabilityReason,
    UserPreference,
)
from playbooks.demo import seed_playbooks
from playbooks.demo_plans import seed_response_plans
from playbooks.models import Service
from policy import services as policy_services
from policy.models import (
    ExitCriterion,
    IncidentType,
    PolicyVersion,
    Priority,
    PriorityMatrixCell,
    SeverityLevel,
)

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


# --- Response policy and priority matrix (see incidents/services/policy.py) ----------------
# ITIL-style: impact × urgency → priority.
PRIORITY_MATRIX = {
    ("high", "high"): "P1",
    ("high", "medium"): "P2",
    ("high", "low"): "P3",
    ("medium", "high"): "P2",
    ("medium", "medium"): "P3",
    ("medium", "low"): "P4",
    ("low", "high"): "P3",
    ("low", "medium"): "P4",
    ("low", "low"): "P4",
}
# severity: what policy v1 demands. Functions are slugs; the commander and responder are
# always staffed, these are paged on top.
POLICY_LEVELS = {
    "SEV1": {
        "ack_target_minutes": 5,
        "update_cadence_minutes": 30,
        "paged_functions": ["incident-commander", "communications-lead", "executive"],
        "audiences": ["responders", "stakeholders", "executives", "customers"],
        "staffing_model": "24x7",
        "max_continuous_hours": 6,
        "expected_people": 4,
        "postmortem_required": True,
        "postmortem_due_days": 3,
        "followup_priority": "P1",
        "followup_due_days": 7,
        "inform_leadership": True,
        # Minutes short enough to watch in `make run`: the unacknowledged SEV1 demo incident
        # pages its chain within five minutes of the start.
        "ack_chain": [
            {"after_minutes": 0, "notify": "commander"},
            {"after_minutes": 0, "notify": "paged_functions"},
            {"after_minutes": 1, "notify": "next_delegate"},
            {"after_minutes": 2, "notify": "executive"},
        ],
        "ack_repeat_minutes": 2,
        "ack_rounds": 3,
    },
    "SEV2": {
        "ack_target_minutes": 15,
        "update_cadence_minutes": 30,
        "paged_functions": ["incident-commander", "communications-lead"],
        "audiences": ["responders", "stakeholders", "customers"],
        "staffing_model": "24x7",
        "max_continuous_hours": 8,
        "expected_people": 3,
        "postmortem_required": True,
        "postmortem_due_days": 5,
        "followup_priority": "P2",
        "followup_due_days": 14,
        "inform_leadership": True,
    },
    "SEV3": {
        "ack_target_minutes": 60,
        "update_cadence_minutes": 120,
        "paged_functions": ["incident-commander"],
        "audiences": ["responders", "stakeholders"],
        "staffing_model": "business_hours",
        "max_continuous_hours": 8,
        "expected_people": 2,
        "postmortem_required": True,
        "postmortem_due_days": 10,
        "followup_priority": "P3",
        "followup_due_days": 30,
        "inform_leadership": False,
    },
    "SEV4": {
        "ack_target_minutes": 240,
        "update_cadence_minutes": 240,
        "paged_functions": [],
        "audiences": ["responders"],
        "staffing_model": "business_hours",
        "max_continuous_hours": 8,
        "expected_people": 1,
        "postmortem_required": False,
        "followup_priority": "P4",
        "followup_due_days": 60,
        "inform_leadership": False,
    },
}


def _policy():
    """The priority matrix; policy v1 in force, signed off by every sign-off team's lead; v2 in
    review, one sign-off still missing. Through the services, as the admin user; idempotent."""
    User = get_user_model()
    author = User.objects.get(username="admin")
    priorities = {p.name: p for p in Priority.objects.all()}
    for (impact, urgency), name in PRIORITY_MATRIX.items():
        if not PriorityMatrixCell.objects.filter(impact=impact, urgency=urgency).exists():
            policy_services.priority_matrix_set(
                actor=author, impact=impact, urgency=urgency, priority=priorities[name]
            )
    if PolicyVersion.objects.exists():
        return
    functions = {f.slug: f for f in CriticalFunction.objects.all()}
    severities = {s.name: s for s in SeverityLevel.objects.all()}
    v1 = policy_services.policy_draft_create(
        actor=author,
        summary="The first organisation-wide response policy: targets, cadence, staffing and "
        "learning per severity.",
    )
    for severity, fields in POLICY_LEVELS.items():
        policy_services.policy_level_set(
            actor=author,
            version=v1,
            severity=severities[severity],
            **{
                **fields,
                "paged_functions": [functions[slug] for slug in fields["paged_functions"]],
                "followup_priority": priorities[fields["followup_priority"]],
            },
        )
    policy_services.policy_submit(actor=author, version=v1)
    teams = list(Team.objects.filter(signs_off_policy=True).order_by("name"))

    def lead(team):
        return team.memberships.filter(is_lead=True).select_related("user").first().user

    for team in teams:
        policy_services.policy_sign_off(
            actor=lead(team), version=v1, team=team, comment="Agreed at the ops review."
        )
    v2 = policy_services.policy_draft_create(
        actor=author,
        summary="SEV2: acknowledge within 10 minutes and inform executives; SEV3 updates "
        "every hour.",
    )
    policy_services.policy_level_set(
        actor=author,
        version=v2,
        severity=severities["SEV2"],
        ack_target_minutes=10,
        audiences=["responders", "stakeholders", "executives", "customers"],
    )
    policy_services.policy_level_set(
        actor=author, version=v2, severity=severities["SEV3"], update_cadence_minutes=60
    )
    policy_services.policy_submit(actor=author, version=v2)
    for team in teams[:-1]:  # the last team's lead has not signed yet
        policy_services.policy_sign_off(actor=lead(team), version=v2, team=team)


class Command(BaseCommand):
    help = "Load demo data (idempotent) and print the logins."

    def handle(self, *args, **options):
        password = self._password()
        with transaction.atomic():
            self._configuration()
            people = self._users(password)
            self._delegates(people)
            seed_response_plans()
            seed_playbooks()
            _policy()
            if not Incident.objects.exists():
                self._incidents(people)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(f"  Admin login: admin / {password}")
        names = ", ".join(username for username, *_ in USERS)
        self.stdout.write(f"  Demo users:  {names} / {password}")

    def _password(self):
        path = settings.VAR_DIR / "demo-credentials.txt"
        if path.exists():
            return path.read_text().strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        password = secrets.token_urlsafe(12)
        path.write_text(password)
        path.chmod(0o600)
        return password

    def _configuration(self):
        for rank, (name, description, impact) in enumerate(SEVERITIES, start=1):
            SeverityLevel.objects.get_or_create(
                name=name,
                defaults={"rank": rank, "description": description, "customer_impact": impact},
            )
        for rank, (name, description) in enumerate(PRIORITIES, start=1):
            Priority.objects.get_or_create(
                name=name, defaults={"rank": rank, "description": description}
            )
        for name, (private, criteria) in TYPES.items():
            kind, created = IncidentType.objects.get_or_create(
                slug=name.lower().replace(" ", "-"),
                defaults={"name": name, "private_by_default": private},
            )
            if created:
                ExitCriterion.objects.bulk_create(
                    ExitCriterion(incident_type=kind, text=text, required=required, position=i)
                    for i, (text, required) in enumerate(criteria, start=1)
                )

    def _users(self, password):
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
            UserPreference.objects.get_or_create(
                user=user, defaults={"phone": f"+15550100{number:02d}"}
            )
            people[username] = user
        return people

    def _delegates(self, people):
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

    def _incidents(self, people):
        cora, rudy, sam = people["cora"], people["rudy"], people["sam"]
        sev = {level.name: level for level in SeverityLevel.objects.all()}
        kind = {t.slug: t for t in IncidentType.objects.all()}
        service = {s.slug: s for s in Service.objects.all()}
        now = timezone.now()

        def declare(**fields):
            defaults = {
                "actor": cora,
                "affects_customers": True,
                "unplanned": True,
                "exceeds_one_hour": True,
                "commander": cora,
                "responder": rudy,
                "broadcast_channel": "incidents",
                "source": IncidentSource.PORTAL,
            }
            return services.incident_declare(**{**defaults, **fields})

        def settle(incident):
            for criterion in incident.criteria.filter(required=True):
                services.incident_check_exit_criterion(
                    incident=incident, actor=cora, criterion_id=criterion.pk
                )

        declare(
            title="Checkout API returns 502 for EU customers",
            incident_type=kind["outage"],
            severity=sev["SEV1"],
            summary="Payments fail at the last step in eu-west-1.",
            impact="Roughly 40% of EU checkouts fail.",
            services=[service["checkout"]],
            environments=["production"],
            regions=["eu-west-1"],
            impact_started_at=now - timedelta(minutes=25),
            detected_at=now - timedelta(minutes=12),
        )

        search = declare(
            title="Search results slow",
            incident_type=kind["degradation"],
            severity=sev["SEV2"],
            services=[service["search"]],
            environments=["production"],
            regions=["us-east-1"],
            impact_started_at=now - timedelta(hours=2),
        )
        services.incident_acknowledge(incident=search, actor=rudy)
        services.incident_post_update(
            incident=search, actor=rudy, message="p99 latency at 4s; suspect the new index."
        )

        login = declare(
            title="Login emails delayed",
            incident_type=kind["degradation"],
            severity=sev["SEV3"],
            services=[service["notifications"]],
        )
        services.incident_post_update(  # and it stays identified
            incident=login,
            actor=cora,
            status="identified",
            message="Mail provider throttling us; raising quota.",
        )

        push = declare(
            title="Mobile push notifications delayed",
            incident_type=kind["degradation"],
            severity=sev["SEV3"],
            services=[service["mobile-push"]],
        )
        services.incident_post_update(
            incident=push,
            actor=rudy,
            status="monitoring",
            message="Provider fixed their queue; watching delivery latency.",
        )

        reports = declare(
            title="Nightly reports missing rows",
            incident_type=kind["data-loss"],
            severity=sev["SEV2"],
            services=[service["reporting"]],
        )
        settle(reports)
        services.incident_resolve(
            incident=reports, actor=cora, resolution="Re-ran the export from the replica."
        )

        cdn = declare(
            title="CDN cache purge storm",
            incident_type=kind["outage"],
            severity=sev["SEV2"],
            services=[service["web"]],
        )
        settle(cdn)
        services.incident_resolve(incident=cdn, actor=cora, resolution="Purge job throttled.")
        services.incident_close(incident=cdn, actor=cora)

        duplicate = declare(
            title="Checkout errors (EU)",
            incident_type=kind["outage"],
            severity=sev["SEV2"],
            actor=rudy,
        )
        services.incident_cancel(
            incident=duplicate,
            actor=rudy,
            reason=CancelReason.DUPLICATE,
            duplicate_of=Incident.objects.get(title__startswith="Checkout API"),
        )

        declare(
            title="Suspicious admin logins",
            incident_type=kind["security"],
            severity=sev["SEV2"],
            actor=sam,
            commander=sam,
            responder=None,
            summary="Logins to the admin console from an unknown ASN.",
        )
