"""Demo playbooks for `manage.py seed_demo`: eight services across three teams and playbooks in
every state, one verification expired and one service without any. Made through the services,
then a few timestamps moved into the past so the history looks lived-in."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone
from guardian.shortcuts import assign_perm

from catalog import services as catalog_services
from catalog.models import Service
from people.models import Team
from playbooks.models import Playbook, Verification

from . import services

# slug: (name, owner team, tier, depends on)
CATALOGUE = {
    "web": ("Web", "platform", 1, []),
    "identity": ("Identity", "platform", 1, []),
    "notifications": ("Notifications", "platform", 2, []),
    "checkout": ("Checkout", "payments", 1, ["identity", "payments-api"]),
    "payments-api": ("Payments API", "payments", 1, ["identity"]),
    "reporting": ("Reporting", "payments", 3, []),
    "search": ("Search", "growth", 2, ["web"]),
    "mobile-push": ("Mobile push", "growth", 3, ["notifications"]),
}
LEADS = {"platform": "cora", "payments": "pat", "growth": "gina"}
SECOND_APPROVER = "erin"
AUTHOR = "rudy"


def _steps(service):
    return [
        {
            "text": f"Open the {service.name} dashboard: error rate, latency, saturation",
            "expected_outcome": "You know when it started and how bad it is",
        },
        {
            "text": "Roll back the last deploy",
            "command": f"deploy rollback --service {service.slug}",
            "expected_outcome": "Error rate back to baseline within 5 minutes",
        },
        {"text": f"Page the {service.owner_team.name} on-call if the rollback did not help"},
    ]


def _content(service):
    return (
        f"# {service.name}\n\nTier {service.tier}, owned by {service.owner_team.name}.\n\n"
        "Start with the dashboard; roll back before you debug. Record what you did in the "
        "incident timeline."
    )


def ensure_catalogue():
    """The services missing, then the dependencies missing, each through the catalogue's
    services as the demo's admin, so that a second run records nothing."""
    admin = get_user_model().objects.get(username="admin")
    for slug, (name, team, tier, _deps) in CATALOGUE.items():
        if not Service.objects.filter(slug=slug).exists():
            catalog_services.service_create(
                actor=admin, slug=slug, name=name, owner_team=Team.objects.get(slug=team), tier=tier
            )
    for slug, (*_rest, deps) in CATALOGUE.items():
        service = Service.objects.get(slug=slug)
        present = set(service.dependencies.all())
        wanted = present | set(Service.objects.filter(slug__in=deps))
        if wanted != present:
            catalog_services.service_update(actor=admin, service=service, dependencies=wanted)


def seed_playbooks():
    ensure_catalogue()
    if Playbook.objects.exists():
        return
    people = {u.username: u for u in get_user_model().objects.all()}
    author = people[AUTHOR]
    for service in Service.objects.select_related("owner_team"):
        for approver in (people[LEADS[service.owner_team.slug]], people[SECOND_APPROVER]):
            assign_perm("catalog.approve_playbook", approver, service)
    catalogue = {s.slug: s for s in Service.objects.select_related("owner_team")}

    def draft(service, note=""):
        playbook = service.playbooks.first() or Playbook.objects.create(
            service=service, title=f"{service.name}: first response"
        )
        return services.playbook_version_create(
            actor=author,
            playbook=playbook,
            content=_content(service) + note,
            steps=_steps(service),
        )

    def approved(service, note=""):
        version = services.playbook_version_submit(actor=author, version=draft(service, note))
        for approver in (people[LEADS[service.owner_team.slug]], people[SECOND_APPROVER]):
            version.refresh_from_db()
            if version.status == "in_review":
                services.playbook_version_approve(actor=approver, version=version)
        version.refresh_from_db()
        return version

    def verified(version, days_ago):
        services.playbook_version_verify(
            actor=author,
            version=version,
            method="drill",
            outcome="passed",
            evidence="Game day: followed every step on staging; all outcomes as written.",
        )
        past = timezone.now() - timedelta(days=days_ago)
        type(version).objects.filter(pk=version.pk).update(decided_at=past - timedelta(days=1))
        Verification.objects.filter(version=version).update(verified_at=past)

    verified(approved(catalogue["web"]), days_ago=20)
    in_review = services.playbook_version_submit(
        actor=author, version=draft(catalogue["web"], "\n\nAlso check the CDN status page.")
    )
    services.playbook_version_approve(actor=people["cora"], version=in_review)
    verified(approved(catalogue["checkout"]), days_ago=10)
    approved(catalogue["payments-api"])
    verified(approved(catalogue["payments-api"], "\n\nv2: add the PSP status check."), 5)
    verified(approved(catalogue["search"]), days_ago=200)  # tier 2: expired after 180 days
    approved(catalogue["mobile-push"])  # approved, never verified
    draft(catalogue["notifications"])  # a draft only
    rejected = services.playbook_version_submit(actor=author, version=draft(catalogue["reporting"]))
    services.playbook_version_reject(
        actor=people["pat"], version=rejected, reason="Step 2 needs the export job's name."
    )
    # identity: no playbook at all
