"""Building blocks for the response-policy tests: teams with leads, a policy manager, versions.

Versions are built through the services, so their events and sign-offs are real.
"""

from types import SimpleNamespace

from django.contrib.auth.models import Permission

from incidents.tests import factories
from people.models import CriticalFunction, IncidentRoleField, Team, TeamMembership
from policy import services as policy_services

MANAGER_PERMISSIONS = [
    "add_policyversion",
    "change_policyversion",
    "view_policyversion",
    "view_policylevel",
    "view_policysignoff",
    "add_prioritymatrixcell",
    "change_prioritymatrixcell",
    "view_prioritymatrixcell",
]


def grant(user, *codenames):
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    # Permissions are cached on the user object; a fresh copy sees the new ones.
    return type(user).objects.get(pk=user.pk)


def manager(username="mona", **kwargs):
    """Someone who drafts and submits policy versions (and edits the matrix)."""
    user = factories.UserFactory(username=username, first_name=username.title(), **kwargs)
    return grant(user, *MANAGER_PERMISSIONS)


def team(slug, *, signs_off=True, leads=(), members=()):
    team, _created = Team.objects.get_or_create(
        slug=slug, defaults={"name": slug.title(), "signs_off_policy": signs_off}
    )
    for user in leads:
        TeamMembership.objects.update_or_create(team=team, user=user, defaults={"is_lead": True})
    for user in members:
        TeamMembership.objects.update_or_create(team=team, user=user, defaults={"is_lead": False})
    return team


def function(slug, *, incident_field=""):
    return CriticalFunction.objects.get_or_create(
        slug=slug,
        defaults={
            "name": slug.replace("-", " ").title(),
            "incident_field": incident_field,
        },
    )[0]


def level_fields(**overrides):
    return {
        "ack_target_minutes": 15,
        "update_cadence_minutes": 30,
        "audiences": ["responders", "stakeholders"],
        **overrides,
    }


def draft(author, severities, *, cadence=None, summary="", **fields):
    """A draft (copied from nothing) with a level for each severity.

    `cadence` maps severity names to update cadences in minutes.
    """
    version = policy_services.policy_draft_create(actor=author, summary=summary, copy_from=None)
    version.levels.all().delete()  # start from scratch even when a version is in force
    for severity in severities:
        minutes = (cadence or {}).get(severity.name, 30)
        policy_services.policy_level_set(
            actor=author,
            version=version,
            severity=severity,
            **level_fields(update_cadence_minutes=minutes, **fields),
        )
    return version


def make_effective(version, author, signers):
    """Submit `version` and have each (lead, team) in `signers` sign it off."""
    policy_services.policy_submit(actor=author, version=version)
    for lead, team in signers:
        policy_services.policy_sign_off(actor=lead, version=version, team=team)
    version.refresh_from_db()
    return version


def world():
    """Two sign-off teams (Platform led by Cora, Payments led by Pat), Growth (led by Gina)
    which does not sign off, a policy manager (Mona), and a plain member of Payments (Paul)."""
    cora = factories.commander(username="cora", first_name="Cora", last_name="Diaz")
    pat = factories.commander(username="pat", first_name="Pat", last_name="Kim")
    gina = factories.responder(username="gina", first_name="Gina", last_name="Ode")
    paul = factories.responder(username="paul", first_name="Paul", last_name="Ray")
    mona = manager()
    platform = team("platform", leads=[cora])
    payments = team("payments", leads=[pat], members=[paul])
    growth = team("growth", signs_off=False, leads=[gina])
    return SimpleNamespace(
        cora=cora,
        pat=pat,
        gina=gina,
        paul=paul,
        mona=mona,
        platform=platform,
        payments=payments,
        growth=growth,
        signers=[(cora, platform), (pat, payments)],
        commander_function=function(
            "incident-commander", incident_field=IncidentRoleField.COMMANDER
        ),
        communications=function("communications-lead"),
    )
