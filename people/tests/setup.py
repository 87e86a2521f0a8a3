"""A small organisation for the people tests (teams, functions, delegates, windows).

Plain functions, not fixtures: each test module wraps what it needs in its own fixtures.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import Permission
from django.utils import timezone

from incidents.tests import factories
from people.models import Delegation, TeamMembership, Unavailability

PEOPLE_MODELS = ["team", "criticalfunction", "delegation", "unavailability"]


def coordinator(username="kim", **kwargs):
    """A staff member holding every permission on teams, functions, delegations and windows."""
    user = factories.UserFactory(
        username=username, first_name="Kim", last_name="Novak", is_staff=True, **kwargs
    )
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="people", content_type__model__in=PEOPLE_MODELS
        )
    )
    return user


@dataclass
class Org:
    cora: object
    pat: object
    rudy: object
    gina: object
    payments: object
    commander: object  # the critical functions
    responder: object
    comms: object


def person(username, first, last, make=factories.UserFactory):
    user = make(username=username)  # may already exist (conftest's cora and rudy)
    user.first_name, user.last_name = first, last
    user.save(update_fields=["first_name", "last_name"])
    return user


def build_org():
    """Payments (Pat leads, Cora); incident commander: Cora then Pat for the organisation and
    Pat then Cora for Payments; responder: Rudy then Gina; communications lead: Pat alone."""
    cora = person("cora", "Cora", "Diaz", factories.commander)
    pat = person("pat", "Pat", "Lee", factories.commander)
    rudy = person("rudy", "Rudy", "Okafor", factories.responder)
    gina = person("gina", "Gina", "Growth", factories.responder)
    payments = factories.TeamFactory(name="Payments", slug="payments")
    TeamMembership.objects.create(team=payments, user=pat, is_lead=True)
    TeamMembership.objects.create(team=payments, user=cora)
    commander = factories.CriticalFunctionFactory(
        name="Incident commander", slug="incident-commander", incident_field="commander", position=1
    )
    responder = factories.CriticalFunctionFactory(
        name="Responder", slug="responder", incident_field="responder", position=2
    )
    comms = factories.CriticalFunctionFactory(
        name="Communications lead", slug="communications-lead", position=3
    )
    for function, team, people in [
        (commander, None, [cora, pat]),
        (commander, payments, [pat, cora]),
        (responder, None, [rudy, gina]),
        (comms, None, [pat]),
    ]:
        for rank, user in enumerate(people, start=1):
            Delegation.objects.create(function=function, team=team, user=user, rank=rank)
    return Org(cora, pat, rudy, gina, payments, commander, responder, comms)


def away(user, *, starts_in=timedelta(hours=-1), lasts=timedelta(days=3), reason="holiday"):
    start = timezone.now() + starts_in
    return Unavailability.objects.create(
        user=user, starts_at=start, ends_at=start + lasts, reason=reason
    )


def ranks(function, team=None):
    return list(
        Delegation.objects.filter(function=function, team=team)
        .order_by("rank")
        .values_list("user__username", "rank")
    )
