"""Demo incidents for `manage.py seed_demo`, one in every status, declared and moved on through
the services so their timelines are real."""

from datetime import timedelta

from django.utils import timezone

from catalog.models import Service
from incidents import services
from incidents.models import CancelReason, Incident, IncidentSource
from policy.models import IncidentType, SeverityLevel


def seed_incidents(people):
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

    def resolved(resolution, **fields):
        """Declared, its required exit criteria met, and resolved."""
        incident = declare(**fields)
        for criterion in incident.criteria.filter(required=True):
            services.incident_check_exit_criterion(
                incident=incident, actor=cora, criterion_id=criterion.pk
            )
        services.incident_resolve(incident=incident, actor=cora, resolution=resolution)
        return incident

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

    # Two SEV3 degradations that stay in the status their update gives them.
    for title, slug, actor, status, message in (
        (
            "Login emails delayed",
            "notifications",
            cora,
            "identified",
            "Mail provider throttling us; raising quota.",
        ),
        (
            "Mobile push notifications delayed",
            "mobile-push",
            rudy,
            "monitoring",
            "Provider fixed their queue; watching delivery latency.",
        ),
    ):
        degraded = declare(
            title=title,
            incident_type=kind["degradation"],
            severity=sev["SEV3"],
            services=[service[slug]],
        )
        services.incident_post_update(
            incident=degraded, actor=actor, status=status, message=message
        )

    resolved(
        "Re-ran the export from the replica.",
        title="Nightly reports missing rows",
        incident_type=kind["data-loss"],
        severity=sev["SEV2"],
        services=[service["reporting"]],
    )

    cdn = resolved(
        "Purge job throttled.",
        title="CDN cache purge storm",
        incident_type=kind["outage"],
        severity=sev["SEV2"],
        services=[service["web"]],
    )
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
