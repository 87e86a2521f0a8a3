"""The admin of teams, critical functions, delegations, windows, and the SPOF page."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.tests import factories
from people.models import Delegation, Team, TeamMembership, Unavailability
from people.tests.setup import away, build_org, coordinator, ranks

pytestmark = pytest.mark.django_db

SPOF = reverse("admin:people_delegation_spof")


@pytest.fixture
def org():
    return build_org()


@pytest.fixture
def kim_client(client):
    client.force_login(coordinator())
    return client


def url(model, view, *args):
    return reverse(f"admin:people_{model}_{view}", args=args)


def errors(response):
    """Every error message on an admin form page, the inlines' included."""
    form = response.context["adminform"].form
    found = [m for messages in form.errors.values() for m in messages]
    for formset in response.context["inline_admin_formsets"]:
        found += list(formset.formset.non_form_errors())
        for form_errors in formset.formset.errors:
            found += [m for messages in form_errors.values() for m in messages]
    return found


def text(response):
    return response.content.decode()


def delegation_of(org, user, team=None, function=None):
    return Delegation.objects.get(function=function or org.commander, team=team, user=user)


# --- Smoke: every page opens ----------------------------------------------------------------


def test_pages_open(admin_client, org):
    away(org.pat)
    pages = [
        url("team", "changelist"),
        url("team", "add"),
        url("team", "change", org.payments.pk),
        url("criticalfunction", "changelist"),
        url("criticalfunction", "add"),
        url("criticalfunction", "change", org.comms.pk),
        url("delegation", "changelist"),
        url("delegation", "changelist") + f"?function__id__exact={org.commander.pk}",
        url("delegation", "changelist") + "?scope=payments",
        url("delegation", "changelist") + "?scope=organisation",
        url("delegation", "add"),
        url("delegation", "change", delegation_of(org, org.pat).pk),
        url("unavailability", "changelist"),
        url("unavailability", "changelist") + "?when=now",
        url("unavailability", "add"),
        url("unavailability", "change", Unavailability.objects.get().pk),
        SPOF,
        SPOF + "?all=1",
        reverse("admin:index"),
    ]
    for page in pages:
        assert admin_client.get(page).status_code == 200, page


def test_team_changelist_shows_members_and_leads(kim_client, org):
    response = kim_client.get(url("team", "changelist"))
    team = response.context["cl"].result_list[0]
    assert (team.member_count, [m.user.username for m in team.lead_memberships]) == (2, ["pat"])
    assert "Pat Lee" in text(response)


def test_delegation_changelist_says_who_is_available_now(kim_client, org):
    away(org.cora)
    response = kim_client.get(url("delegation", "changelist"))
    shown = {
        (d.function.slug, d.team_id, d.user.username): d for d in response.context["cl"].result_list
    }
    admin_view = response.context["cl"].model_admin
    assert admin_view.available_now(shown[("incident-commander", None, "cora")]) is False
    assert admin_view.available_now(shown[("incident-commander", None, "pat")]) is True
    assert SPOF in text(response)


def test_spof_page_and_index_link(kim_client, org):
    response = kim_client.get(SPOF)
    rows = response.context["rows"]
    assert [(r.function.slug, r.team) for r in rows] == [("communications-lead", None)]
    assert "Communications lead" in text(response)
    everything = kim_client.get(SPOF + "?all=1").context["rows"]
    assert len(everything) == 4
    assert SPOF in text(kim_client.get(reverse("admin:index")))


def test_spof_page_needs_the_view_permission(client, org):
    client.force_login(factories.responder(username="sam", is_staff=True))
    assert client.get(SPOF).status_code == 403


# --- Delegations through the service --------------------------------------------------------


def delegation_form(org, **overrides):
    data = {"function": org.comms.pk, "team": "", "user": org.gina.pk, "rank": 2}
    data.update(overrides)
    return data


def test_add_delegation(kim_client, org):
    response = kim_client.post(url("delegation", "add"), delegation_form(org))
    assert response.status_code == 302
    assert ranks(org.comms) == [("pat", 1), ("gina", 2)]


def test_overlapping_rank_is_a_form_error(kim_client, org):
    response = kim_client.post(url("delegation", "add"), delegation_form(org, rank=1))
    assert response.status_code == 200
    assert errors(response) == [
        "Rank 1 of Communications lead for the organisation is already held by Pat Lee."
    ]
    assert ranks(org.comms) == [("pat", 1)]


def test_delegate_outside_the_team_is_a_form_error(kim_client, org):
    response = kim_client.post(
        url("delegation", "add"),
        delegation_form(org, function=org.commander.pk, team=org.payments.pk, rank=3),
    )
    assert errors(response) == ["Gina Growth is not a member of Payments."]
    assert "Gina Growth is not a member of Payments." in text(response)


def test_change_delegation_rank(kim_client, org):
    pat = delegation_of(org, org.pat)
    response = kim_client.post(
        url("delegation", "change", pat.pk),
        delegation_form(org, function=org.commander.pk, user=org.pat.pk, rank=3),
    )
    assert response.status_code == 302
    assert ranks(org.commander) == [("cora", 1), ("pat", 3)]
    refused = kim_client.post(
        url("delegation", "change", pat.pk),
        delegation_form(org, function=org.commander.pk, user=org.pat.pk, rank=1),
    )
    assert errors(refused) == [
        "Rank 1 of Incident commander for the organisation is already held by Cora Diaz."
    ]


def test_delete_delegation_moves_backups_up(kim_client, org):
    cora = delegation_of(org, org.cora)
    response = kim_client.post(url("delegation", "delete", cora.pk), {"post": "yes"})
    assert response.status_code == 302
    assert ranks(org.commander) == [("pat", 1)]


def test_bulk_delete_delegations(kim_client, org):
    response = kim_client.post(
        url("delegation", "changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [delegation_of(org, org.cora).pk],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert ranks(org.commander) == [("pat", 1)]


# --- Teams with their members ---------------------------------------------------------------


def team_form(team=None, members=(), **overrides):
    """The team form with its members' inline; members: (membership or None, user, lead, delete)."""
    data = {
        "name": team.name if team else "Growth",
        "slug": team.slug if team else "growth",
        "description": "",
        "memberships-TOTAL_FORMS": str(len(members)),
        "memberships-INITIAL_FORMS": str(sum(1 for m in members if m[0])),
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    for i, (membership, user, lead, delete) in enumerate(members):
        data[f"memberships-{i}-id"] = membership.pk if membership else ""
        data[f"memberships-{i}-team"] = team.pk if team else ""
        data[f"memberships-{i}-user"] = user.pk
        if lead:
            data[f"memberships-{i}-is_lead"] = "on"
        if delete:
            data[f"memberships-{i}-DELETE"] = "on"
    data.update(overrides)
    return data


def test_add_team_with_members(kim_client, org):
    response = kim_client.post(
        url("team", "add"),
        team_form(members=[(None, org.gina, True, False), (None, org.rudy, False, False)]),
    )
    assert response.status_code == 302, errors(response)
    growth = Team.objects.get(slug="growth")
    assert set(growth.memberships.values_list("user__username", "is_lead")) == {
        ("gina", True),
        ("rudy", False),
    }


def test_change_team_members(kim_client, org):
    pat = TeamMembership.objects.get(team=org.payments, user=org.pat)
    cora = TeamMembership.objects.get(team=org.payments, user=org.cora)
    response = kim_client.post(
        url("team", "change", org.payments.pk),
        team_form(
            org.payments,
            members=[
                (pat, org.pat, False, False),
                (cora, org.cora, True, False),
                (None, org.gina, False, False),
            ],
            description="Money",
        ),
    )
    assert response.status_code == 302, errors(response)
    assert set(org.payments.memberships.values_list("user__username", "is_lead")) == {
        ("pat", False),
        ("cora", True),
        ("gina", False),
    }
    assert Team.objects.get(pk=org.payments.pk).description == "Money"


def test_removing_a_delegate_from_the_team_is_refused_and_keeps_the_members(kim_client, org):
    cora = TeamMembership.objects.get(team=org.payments, user=org.cora)
    pat = TeamMembership.objects.get(team=org.payments, user=org.pat)
    response = kim_client.post(
        url("team", "change", org.payments.pk),
        team_form(
            org.payments,
            members=[
                (pat, org.pat, True, False),
                (cora, org.cora, False, True),
                (None, org.gina, False, False),
            ],
        ),
    )
    assert response.status_code == 200
    assert errors(response) == [
        "Cora Diaz is a delegate of Payments for Incident commander (rank 2): remove those "
        "delegations first."
    ]
    assert set(org.payments.memberships.values_list("user__username", flat=True)) == {
        "pat",
        "cora",
    }


def test_team_name_taken_is_a_form_error(kim_client, org):
    response = kim_client.post(url("team", "add"), team_form(name="Payments", slug="payments-2"))
    assert response.status_code == 200
    assert "Team with this Name already exists." in errors(response)


# --- Critical functions ---------------------------------------------------------------------


def test_add_and_change_critical_function(kim_client, org):
    data = {
        "name": "Scribe",
        "slug": "scribe",
        "duties": "Notes",
        "position": 4,
        "is_active": "on",
        "incident_field": "",
        "cost_weight": "0.75",
    }
    assert kim_client.post(url("criticalfunction", "add"), data).status_code == 302
    refused = kim_client.post(
        url("criticalfunction", "change", org.comms.pk),
        {
            **data,
            "name": "Communications lead",
            "slug": "communications-lead",
            "incident_field": "commander",
        },
    )
    assert errors(refused) == [
        "Incident commander already fills the incident's commander: only one function may."
    ]


# --- Unavailability -------------------------------------------------------------------------


def window_form(user, starts_in, lasts, **overrides):
    start = timezone.localtime() + starts_in
    end = start + lasts
    data = {
        "user": user.pk,
        "starts_at_0": start.strftime("%Y-%m-%d"),
        "starts_at_1": start.strftime("%H:%M:%S"),
        "ends_at_0": end.strftime("%Y-%m-%d"),
        "ends_at_1": end.strftime("%H:%M:%S"),
        "reason": "holiday",
        "note": "",
    }
    data.update(overrides)
    return data


def test_add_and_change_window(kim_client, org):
    day = timedelta(days=1)
    response = kim_client.post(url("unavailability", "add"), window_form(org.pat, day, day))
    assert response.status_code == 302, errors(response)
    window = Unavailability.objects.get()
    response = kim_client.post(
        url("unavailability", "change", window.pk), window_form(org.pat, day, day, reason="sick")
    )
    assert response.status_code == 302, errors(response)
    assert Unavailability.objects.get().reason == "sick"


def test_bad_window_is_a_form_error(kim_client, org):
    day = timedelta(days=1)
    response = kim_client.post(url("unavailability", "add"), window_form(org.pat, -3 * day, day))
    assert response.status_code == 200
    assert "in the past" in " ".join(errors(response))
    assert not Unavailability.objects.exists()


def test_delete_window(kim_client, org):
    window = away(org.pat)
    response = kim_client.post(url("unavailability", "delete", window.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Unavailability.objects.exists()


def test_delegation_scope_filter(kim_client, org):
    def shown(scope):
        response = kim_client.get(url("delegation", "changelist") + f"?scope={scope}")
        return {(d.team.slug if d.team else None) for d in response.context["cl"].result_list}

    assert shown("payments") == {"payments"}
    assert shown("organisation") == {None}
