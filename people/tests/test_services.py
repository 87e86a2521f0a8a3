"""Teams, critical functions, delegations and unavailability windows: the services."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from incidents.tests import factories
from people import services as people_services
from people.models import CriticalFunction, Delegation, Team, TeamMembership, Unavailability
from people.selectors import delegate_for
from people.tests.setup import away, build_org, coordinator, ranks

pytestmark = pytest.mark.django_db

NOW = timezone.now


@pytest.fixture
def org():
    return build_org()


@pytest.fixture
def kim():
    return coordinator()


@pytest.fixture
def stella():
    return factories.stakeholder(username="stella", first_name="Stella", last_name="Stone")


def refusal(error_info, field):
    return error_info.value.message_dict[field]


# --- Teams ----------------------------------------------------------------------------------


def test_team_create_derives_the_slug(kim):
    team = people_services.team_create(actor=kim, name="  Growth Team ", description="Signups")
    assert (team.name, team.slug, team.description, team.signs_off_policy) == (
        "Growth Team",
        "growth-team",
        "Signups",
        False,
    )


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"name": " "}, "name"),
        ({"name": "Payments"}, "name"),
        ({"name": "X", "slug": "a b"}, "slug"),
    ],
)
def test_team_create_refusals(kim, org, kwargs, field):
    with pytest.raises(ValidationError) as error:
        people_services.team_create(actor=kim, **kwargs)
    assert field in error.value.message_dict
    assert Team.objects.count() == 1


def test_team_services_need_the_permissions(org, stella):
    with pytest.raises(PermissionDenied, match="not allowed to add teams"):
        people_services.team_create(actor=stella, name="Growth")
    with pytest.raises(PermissionDenied):
        people_services.team_update(actor=stella, team=org.payments, name="Pay")
    with pytest.raises(PermissionDenied):
        people_services.team_member_add(actor=stella, team=org.payments, user=org.rudy)
    with pytest.raises(PermissionDenied):
        people_services.team_member_remove(actor=stella, team=org.payments, user=org.cora)


def test_team_update(kim, org):
    team = people_services.team_update(
        actor=kim, team=org.payments, description=" Money ", signs_off_policy=True
    )
    assert (team.name, team.description, team.signs_off_policy) == ("Payments", "Money", True)
    with pytest.raises(ValidationError) as error:
        people_services.team_update(actor=kim, team=org.payments, members=[])
    assert "members" in error.value.message_dict


def test_member_add_sets_the_lead_flag_and_is_idempotent(kim, org):
    membership = people_services.team_member_add(actor=kim, team=org.payments, user=org.rudy)
    assert not membership.is_lead
    people_services.team_member_add(actor=kim, team=org.payments, user=org.rudy, is_lead=True)
    assert TeamMembership.objects.get(team=org.payments, user=org.rudy).is_lead
    assert TeamMembership.objects.filter(team=org.payments).count() == 3


def test_member_add_refuses_an_inactive_account(kim, org):
    gone = factories.UserFactory(username="gone", is_active=False)
    with pytest.raises(ValidationError) as error:
        people_services.team_member_add(actor=kim, team=org.payments, user=gone)
    assert refusal(error, "user") == ["gone has no active account."]


def test_member_remove_refused_while_a_delegate(kim, org):
    with pytest.raises(ValidationError) as error:
        people_services.team_member_remove(actor=kim, team=org.payments, user=org.cora)
    assert refusal(error, "user") == [
        "Cora Diaz is a delegate of Payments for Incident commander (rank 2): remove those "
        "delegations first."
    ]
    people_services.delegation_remove(
        actor=kim, delegation=Delegation.objects.get(team=org.payments, user=org.cora)
    )
    people_services.team_member_remove(actor=kim, team=org.payments, user=org.cora)
    assert not TeamMembership.objects.filter(team=org.payments, user=org.cora).exists()
    with pytest.raises(ValidationError, match="not a member of Payments"):
        people_services.team_member_remove(actor=kim, team=org.payments, user=org.cora)


# --- Critical functions ---------------------------------------------------------------------


def test_critical_function_create_and_update(kim, org):
    scribe = people_services.critical_function_create(
        actor=kim, name="Scribe", duties="Keeps the timeline.", position=4, cost_weight="0.75"
    )
    assert (scribe.slug, scribe.incident_field, scribe.cost_weight) == (
        "scribe",
        "",
        Decimal("0.75"),
    )
    scribe = people_services.critical_function_update(actor=kim, function=scribe, is_active=False)
    assert not CriticalFunction.objects.get(pk=scribe.pk).is_active


def test_critical_function_refusals(kim, org, stella):
    with pytest.raises(ValidationError) as error:
        people_services.critical_function_create(actor=kim, name="Boss", incident_field="commander")
    assert refusal(error, "incident_field") == [
        "Incident commander already fills the incident's commander: only one function may."
    ]
    with pytest.raises(ValidationError) as error:
        people_services.critical_function_update(actor=kim, function=org.comms, cost_weight=-1)
    assert "cost_weight" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        people_services.critical_function_create(actor=stella, name="Scribe")
    with pytest.raises(PermissionDenied):
        people_services.critical_function_update(actor=stella, function=org.comms, duties="x")


# --- Delegations ----------------------------------------------------------------------------


def test_delegation_set_adds_a_backup(kim, org):
    delegation = people_services.delegation_set(
        actor=kim, function=org.comms, team=None, user=org.gina, rank=2
    )
    assert (delegation.function, delegation.team, delegation.rank) == (org.comms, None, 2)
    assert ranks(org.comms) == [("pat", 1), ("gina", 2)]


def test_delegation_set_refuses_a_rank_already_held(kim, org):
    with pytest.raises(ValidationError) as error:
        people_services.delegation_set(
            actor=kim, function=org.commander, team=org.payments, user=org.rudy, rank=2
        )
    messages = error.value.message_dict
    assert messages["rank"] == [
        "Rank 2 of Incident commander for Payments is already held by Cora Diaz."
    ]
    assert messages["user"] == ["Rudy Okafor is not a member of Payments."]
    assert ranks(org.commander, org.payments) == [("pat", 1), ("cora", 2)]


def test_delegation_set_refuses_a_delegate_outside_the_team(kim, org):
    with pytest.raises(ValidationError) as error:
        people_services.delegation_set(
            actor=kim, function=org.commander, team=org.payments, user=org.rudy, rank=3
        )
    assert error.value.message_dict == {"user": ["Rudy Okafor is not a member of Payments."]}


def test_delegation_set_refuses_the_same_person_twice(kim, org):
    with pytest.raises(ValidationError) as error:
        people_services.delegation_set(
            actor=kim, function=org.commander, team=None, user=org.pat, rank=3
        )
    assert error.value.message_dict == {
        "user": ["Pat Lee already holds Incident commander for the organisation (rank 2)."]
    }


@pytest.mark.parametrize("rank", [0, -1, "two"])
def test_delegation_set_refuses_a_bad_rank(kim, org, rank):
    with pytest.raises(ValidationError) as error:
        people_services.delegation_set(
            actor=kim, function=org.comms, team=None, user=org.gina, rank=rank
        )
    assert list(error.value.message_dict) == ["rank"]


def test_delegation_set_refuses_inactive_people_and_functions(kim, org):
    org.gina.is_active = False
    org.gina.save()
    with pytest.raises(ValidationError) as error:
        people_services.delegation_set(
            actor=kim, function=org.comms, team=None, user=org.gina, rank=2
        )
    assert error.value.message_dict == {"user": ["Gina Growth has no active account."]}
    retired = factories.CriticalFunctionFactory(name="Retired", is_active=False)
    with pytest.raises(ValidationError) as error:
        people_services.delegation_set(
            actor=kim, function=retired, team=None, user=org.rudy, rank=1
        )
    assert error.value.message_dict == {"function": ["Retired is not in use."]}


def test_delegation_set_moves_an_existing_delegation(kim, org):
    pat = Delegation.objects.get(function=org.commander, team=None, user=org.pat)
    people_services.delegation_set(
        actor=kim, delegation=pat, function=org.commander, team=None, user=org.pat, rank=5
    )
    assert ranks(org.commander) == [("cora", 1), ("pat", 5)]
    with pytest.raises(ValidationError, match="Rank 1 of Incident commander for the organisation"):
        people_services.delegation_set(
            actor=kim, delegation=pat, function=org.commander, team=None, user=org.pat, rank=1
        )


def test_delegation_services_need_the_permissions(org, stella):
    cora = Delegation.objects.get(function=org.commander, team=None, user=org.cora)
    with pytest.raises(PermissionDenied, match="not allowed to add delegations"):
        people_services.delegation_set(
            actor=stella, function=org.comms, team=None, user=org.gina, rank=2
        )
    with pytest.raises(PermissionDenied):
        people_services.delegation_set(
            actor=stella, delegation=cora, function=org.commander, team=None, user=org.cora, rank=3
        )
    with pytest.raises(PermissionDenied):
        people_services.delegation_remove(actor=stella, delegation=cora)
    with pytest.raises(PermissionDenied):
        people_services.delegations_reorder(
            actor=stella, function=org.commander, team=None, users_in_order=[org.pat, org.cora]
        )
    assert ranks(org.commander) == [("cora", 1), ("pat", 2)]


def test_delegation_remove_moves_the_backups_up(kim, org):
    people_services.delegation_set(
        actor=kim, function=org.commander, team=None, user=org.rudy, rank=3
    )
    primary = Delegation.objects.get(function=org.commander, team=None, rank=1)
    people_services.delegation_remove(actor=kim, delegation=primary)
    assert ranks(org.commander) == [("pat", 1), ("rudy", 2)]
    assert ranks(org.commander, org.payments) == [("pat", 1), ("cora", 2)]


def test_delegations_reorder(kim, org):
    people_services.delegation_set(
        actor=kim, function=org.commander, team=None, user=org.rudy, rank=3
    )
    ranked = people_services.delegations_reorder(
        actor=kim, function=org.commander, team=None, users_in_order=[org.rudy, org.cora, org.pat]
    )
    assert [(d.user.username, d.rank) for d in ranked] == [("rudy", 1), ("cora", 2), ("pat", 3)]


def test_delegations_reorder_refusals(kim, org):
    with pytest.raises(ValidationError) as error:
        people_services.delegations_reorder(
            actor=kim,
            function=org.commander,
            team=None,
            users_in_order=[org.pat, org.pat, org.rudy],
        )
    assert error.value.message_dict["users_in_order"] == [
        "Pat Lee is listed twice.",
        "Rudy Okafor is not a delegate of Incident commander for the organisation: add them first.",
        "Cora Diaz is missing from the new order.",
    ]
    assert ranks(org.commander) == [("cora", 1), ("pat", 2)]


# --- Unavailability -------------------------------------------------------------------------


def test_anyone_may_add_and_remove_their_own_window(org, stella):
    window = people_services.unavailability_add(
        actor=stella,
        user=stella,
        starts_at=NOW() + timedelta(days=1),
        ends_at=NOW() + timedelta(days=3),
        reason="holiday",
        note=" Beach ",
    )
    assert (window.user, window.reason, window.note) == (stella, "holiday", "Beach")
    people_services.unavailability_update(actor=stella, window=window, reason="sick")
    assert Unavailability.objects.get(pk=window.pk).reason == "sick"
    people_services.unavailability_remove(actor=stella, window=window)
    assert not Unavailability.objects.exists()


def test_someone_elses_window_needs_the_permission(kim, org, stella):
    times = {"starts_at": NOW(), "ends_at": NOW() + timedelta(days=2), "reason": "sick"}
    with pytest.raises(PermissionDenied) as error:
        people_services.unavailability_add(actor=stella, user=org.pat, **times)
    assert str(error.value) == "You may only manage your own unavailability, not Pat Lee's."
    window = people_services.unavailability_add(actor=kim, user=org.pat, **times)
    with pytest.raises(PermissionDenied):
        people_services.unavailability_update(actor=stella, window=window, note="x")
    with pytest.raises(PermissionDenied):
        people_services.unavailability_remove(actor=stella, window=window)
    people_services.unavailability_remove(actor=kim, window=window)
    assert not Unavailability.objects.exists()


@pytest.mark.parametrize(
    "starts, ends, reason, field, message",
    [
        (2, 1, "holiday", "ends_at", "The window must end after it starts."),
        (2, 2, "holiday", "ends_at", "The window must end after it starts."),
        (-3, -1, "holiday", "ends_at", "in the past"),
        (1, 2, "bored", "reason", "Choose one of: holiday, sick, off shift, other."),
        (None, 2, "holiday", "starts_at", "Say when the window starts."),
    ],
)
def test_bad_windows_are_refused(org, starts, ends, reason, field, message):
    day, now = timedelta(days=1), NOW()
    with pytest.raises(ValidationError) as error:
        people_services.unavailability_add(
            actor=org.pat,
            user=org.pat,
            starts_at=None if starts is None else now + starts * day,
            ends_at=now + ends * day,
            reason=reason,
        )
    assert message in " ".join(refusal(error, field))
    assert not Unavailability.objects.exists()


def test_a_window_makes_the_backup_stand_in(org):
    people_services.unavailability_add(
        actor=org.cora,
        user=org.cora,
        starts_at=NOW() - timedelta(hours=1),
        ends_at=NOW() + timedelta(days=2),
        reason="holiday",
    )
    holder = delegate_for(function=org.commander)
    assert holder.user == org.pat
    assert holder.explanation.startswith("Cora Diaz is unavailable (holiday) until ")
    assert holder.explanation.endswith("; rank 2 stands in")


def test_away_helper_and_window_update_checks_times(org):
    window = away(org.gina, starts_in=timedelta(days=1))
    with pytest.raises(ValidationError) as error:
        people_services.unavailability_update(
            actor=org.gina, window=window, ends_at=window.starts_at - timedelta(hours=1)
        )
    assert refusal(error, "ends_at") == ["The window must end after it starts."]


def test_coordinators_group_may_manage_delegates_and_draft_policy():
    from django.contrib.auth.models import Group

    from incidents import roles

    codenames = set(
        Group.objects.get(name=roles.COORDINATORS).permissions.values_list("codename", flat=True)
    )
    assert {
        "change_delegation",
        "add_unavailability",
        "change_team",
        "change_policyversion",
        "change_prioritymatrixcell",
    } <= codenames
