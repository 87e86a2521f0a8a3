"""Demo data for a first look: `manage.py seed_demo`. Safe to run again; it adds what is missing.

Incidents are created through the services, so their timelines are real. The admin and demo
passwords are generated once, kept in var/demo-credentials.txt (never in the repository), and
printed on every run.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from incidents import roles, services
from incidents.models import (
    CancelReason,
    ExitCriterion,
    Incident,
    IncidentSource,
    IncidentType,
    Priority,
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
]


class Command(BaseCommand):
    help = "Load demo data (idempotent) and print the logins."

    def handle(self, *args, **options):
        password = self._password()
        with transaction.atomic():
            self._configuration()
            people = self._users(password)
            if not Incident.objects.exists():
                self._incidents(people)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(f"  Admin login: admin / {password}   (http://127.0.0.1:8000/admin/)")
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
        for username, first, last, group in USERS:
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
            people[username] = user
        return people

    def _incidents(self, people):
        cora, rudy, sam = people["cora"], people["rudy"], people["sam"]
        sev = {level.name: level for level in SeverityLevel.objects.all()}
        kind = {t.slug: t for t in IncidentType.objects.all()}
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
            affected_services=["checkout"],
            environments=["production"],
            regions=["eu-west-1"],
            impact_started_at=now - timedelta(minutes=25),
            detected_at=now - timedelta(minutes=12),
        )

        search = declare(
            title="Search results slow",
            incident_type=kind["degradation"],
            severity=sev["SEV2"],
            affected_services=["search"],
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
            affected_services=["notifications"],
        )
        services.incident_post_update(
            incident=login,
            actor=cora,
            status="identified",
            message="Mail provider throttling us; raising quota.",
        )
        services.incident_change_status(incident=login, actor=cora, status="monitoring")

        reports = declare(
            title="Nightly reports missing rows",
            incident_type=kind["data-loss"],
            severity=sev["SEV2"],
            affected_services=["reporting"],
        )
        settle(reports)
        services.incident_resolve(
            incident=reports, actor=cora, resolution="Re-ran the export from the replica."
        )

        cdn = declare(
            title="CDN cache purge storm",
            incident_type=kind["outage"],
            severity=sev["SEV2"],
            affected_services=["web"],
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
