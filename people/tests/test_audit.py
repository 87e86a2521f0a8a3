"""The audit of teams, functions, delegations and windows: every service writes its PeopleEvent
with the actor, in its transaction; refusals write none; the admin saves through the services."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core.models import AppendOnlyError
from incidents.tests import factories
from people import services
from people.models import (
    CriticalFunction,
    PeopleEvent,
    PeopleEventKind,
    Team,
    TeamMembership,
    Unavailability,
)
from people.tests.setup import away, build_org, coordinator
from people.tests.test_admin import (
    delegation_form,
    delegation_of,
    errors,
    team_form,
    url,
    window_form,
)

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


@pytest.fixture
def org():
    return build_org()


@pytest.fixture
def kim():
    return coordinator()


@pytest.fixture
def kim_client(client, kim):
    client.force_login(kim)
    return client


@pytest.fixture
def stella():
    return factories.stakeholder(username="stella", first_name="Stella", last_name="Stone")


def events():
    return list(PeopleEvent.objects.order_by("id"))


def the_event():
    (event,) = events()
    return event


def kinds():
    return [event.kind for event in events()]


# --- Each service writes its row ------------------------------------------------------------


def test_team_create_and_update(kim):
    team = services.team_create(actor=kim, name="Growth")
    event = the_event()
    assert (event.kind, event.actor, event.about, event.description) == (
        PeopleEventKind.TEAM_CREATED,
        kim,
        team,
        "Growth",
    )
    services.team_update(actor=kim, team=team, description="Signups", name="Growth")
    event = events()[-1]
    assert (event.kind, event.actor, event.about) == (PeopleEventKind.TEAM_UPDATED, kim, team)
    assert event.message == "Changed: description."
    assert event.data == {"changes": {"description": {"from": "", "to": "Signups"}}}


def test_an_update_that_changes_nothing_writes_nothing(kim, org):
    services.team_update(actor=kim, team=org.payments, name="Payments")
    services.critical_function_update(actor=kim, function=org.comms, name=org.comms.name)
    services.team_member_add(actor=kim, team=org.payments, user=org.pat, is_lead=True)
    pat = delegation_of(org, org.pat)
    services.delegation_set(
        actor=kim, delegation=pat, function=org.commander, team=None, user=org.pat, rank=2
    )
    services.delegations_reorder(
        actor=kim, function=org.commander, team=None, users_in_order=[org.cora, org.pat]
    )
    window = away(org.rudy)
    services.unavailability_update(actor=kim, window=window, reason=window.reason)
    assert events() == []


def test_members_added_changed_and_removed_are_team_events(kim, org):
    services.team_member_add(actor=kim, team=org.payments, user=org.gina)
    services.team_member_add(actor=kim, team=org.payments, user=org.gina, is_lead=True)
    services.team_member_remove(actor=kim, team=org.payments, user=org.gina)
    assert kinds() == [
        PeopleEventKind.MEMBER_ADDED,
        PeopleEventKind.MEMBER_UPDATED,
        PeopleEventKind.MEMBER_REMOVED,
    ]
    for event in events():
        assert (event.actor, event.about, event.description) == (
            kim,
            org.payments,
            "Gina Growth in Payments",
        )
        assert event.data["user"] == "gina"
    assert [e.message for e in events()] == ["Added.", "Now a lead.", "Removed."]


def test_critical_function_create_and_update(kim):
    scribe = services.critical_function_create(actor=kim, name="Scribe")
    services.critical_function_update(actor=kim, function=scribe, cost_weight=Decimal("0.5"))
    created, updated = events()
    assert (created.kind, created.actor, created.about, created.description) == (
        PeopleEventKind.FUNCTION_CREATED,
        kim,
        scribe,
        "Scribe",
    )
    assert (updated.kind, updated.actor, updated.message) == (
        PeopleEventKind.FUNCTION_UPDATED,
        kim,
        "Changed: cost weight.",
    )
    assert updated.data == {"changes": {"cost_weight": {"from": "1.00", "to": "0.5"}}}


def test_delegation_set_added_and_moved(kim, org):
    gina = services.delegation_set(actor=kim, function=org.comms, team=None, user=org.gina, rank=2)
    services.delegation_set(
        actor=kim, delegation=gina, function=org.comms, team=None, user=org.gina, rank=3
    )
    added, moved = events()
    assert (added.kind, added.actor, added.about, added.message) == (
        PeopleEventKind.DELEGATION_SET,
        kim,
        gina,
        "Added.",
    )
    assert added.description == "Communications lead for the organisation, rank 2: Gina Growth"
    assert added.data == {
        "function": "communications-lead",
        "team": None,
        "user": "gina",
        "rank": 2,
        "was": None,
    }
    assert moved.message == "Was Communications lead for the organisation, rank 2: Gina Growth."
    assert (moved.data["rank"], moved.data["was"]["rank"]) == (3, 2)


def test_delegation_remove_keeps_what_it_was(kim, org):
    cora = delegation_of(org, org.cora, team=org.payments)
    services.delegation_remove(actor=kim, delegation=cora)
    event = the_event()
    assert (event.kind, event.actor, event.about_id) == (
        PeopleEventKind.DELEGATION_REMOVED,
        kim,
        cora.pk,
    )
    assert event.about is None  # the delegation is gone; the words stay
    assert event.description == "Incident commander for Payments, rank 2: Cora Diaz"
    assert event.data["team"] == "payments"


def test_delegations_reorder_is_a_function_event(kim, org):
    services.delegations_reorder(
        actor=kim, function=org.commander, team=None, users_in_order=[org.pat, org.cora]
    )
    event = the_event()
    assert (event.kind, event.actor, event.about) == (
        PeopleEventKind.DELEGATIONS_REORDERED,
        kim,
        org.commander,
    )
    assert event.description == "Incident commander for the organisation"
    assert event.message == "New order: Pat Lee, Cora Diaz (was Cora Diaz, Pat Lee)."
    assert (event.data["users"], event.data["was"]) == (["pat", "cora"], ["cora", "pat"])


def test_unavailability_added_updated_removed_by_its_owner(org, stella):
    window = services.unavailability_add(
        actor=stella,
        user=stella,
        starts_at=timezone.now() + DAY,
        ends_at=timezone.now() + 3 * DAY,
        reason="holiday",
        note="Beach",
    )
    services.unavailability_update(actor=stella, window=window, reason="sick")
    services.unavailability_remove(actor=stella, window=window)
    added, updated, removed = events()
    assert [e.kind for e in (added, updated, removed)] == [
        PeopleEventKind.UNAVAILABILITY_ADDED,
        PeopleEventKind.UNAVAILABILITY_UPDATED,
        PeopleEventKind.UNAVAILABILITY_REMOVED,
    ]
    assert {e.actor for e in (added, updated, removed)} == {stella}
    assert {e.about_id for e in (added, updated, removed)} == {window.pk}
    assert added.description.startswith("Stella Stone, Holiday, ")
    assert (added.message, added.data["reason"]) == ("Beach", "holiday")
    assert updated.data == {"changes": {"reason": {"from": "holiday", "to": "sick"}}}
    assert removed.description.startswith("Stella Stone, Sick, ")


def test_the_row_is_part_of_the_change(kim):
    with transaction.atomic():
        services.team_create(actor=kim, name="Growth")
        transaction.set_rollback(True)
    assert not Team.objects.exists()
    assert events() == []


def test_events_are_append_only(kim):
    services.team_create(actor=kim, name="Growth")
    event = the_event()
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


# --- A refused change writes none -----------------------------------------------------------


REFUSED = {
    "team_create without the permission": lambda o: services.team_create(
        actor=o.stella, name="Growth"
    ),
    "team_create without a name": lambda o: services.team_create(actor=o.kim, name=" "),
    "team_update without the permission": lambda o: services.team_update(
        actor=o.stella, team=o.org.payments, name="Pay"
    ),
    "team_update to a taken name": lambda o: services.team_update(
        actor=o.kim, team=o.growth, name="Payments"
    ),
    "team_member_add of an inactive account": lambda o: services.team_member_add(
        actor=o.kim, team=o.org.payments, user=factories.UserFactory(is_active=False)
    ),
    "team_member_remove of a delegate": lambda o: services.team_member_remove(
        actor=o.kim, team=o.org.payments, user=o.org.cora
    ),
    "critical_function_create taking the commander's field": lambda o: (
        services.critical_function_create(actor=o.kim, name="Boss", incident_field="commander")
    ),
    "critical_function_update without the permission": lambda o: services.critical_function_update(
        actor=o.stella, function=o.org.comms, duties="x"
    ),
    "delegation_set on a held rank": lambda o: services.delegation_set(
        actor=o.kim, function=o.org.comms, team=None, user=o.org.gina, rank=1
    ),
    "delegation_remove without the permission": lambda o: services.delegation_remove(
        actor=o.stella, delegation=delegation_of(o.org, o.org.cora)
    ),
    "delegations_reorder missing someone": lambda o: services.delegations_reorder(
        actor=o.kim, function=o.org.commander, team=None, users_in_order=[o.org.pat]
    ),
    "unavailability_add for someone else": lambda o: services.unavailability_add(
        actor=o.stella,
        user=o.org.pat,
        starts_at=timezone.now() + DAY,
        ends_at=timezone.now() + 2 * DAY,
        reason="holiday",
    ),
    "unavailability_update into the past": lambda o: services.unavailability_update(
        actor=o.kim, window=o.window, ends_at=timezone.now() - DAY
    ),
    "unavailability_remove of someone else's": lambda o: services.unavailability_remove(
        actor=o.stella, window=o.window
    ),
}


class World:
    def __init__(self, org, kim, stella):
        self.org, self.kim, self.stella = org, kim, stella
        self.growth = Team.objects.create(name="Growth", slug="growth")
        self.window = away(org.pat, starts_in=DAY)


@pytest.mark.parametrize("refused", REFUSED.values(), ids=REFUSED.keys())
def test_a_refused_change_writes_no_row(org, kim, stella, refused):
    world = World(org, kim, stella)
    with pytest.raises((PermissionDenied, ValidationError)):
        refused(world)
    assert events() == []


# --- The admin saves through the services, so it writes the rows ----------------------------


def test_team_admin_writes_the_team_and_member_rows(kim_client, kim, org):
    growth = team_form(members=[(None, org.gina, True, False)])
    response = kim_client.post(url("team", "add"), growth)
    assert response.status_code == 302, errors(response)
    assert kinds() == [PeopleEventKind.TEAM_CREATED, PeopleEventKind.MEMBER_ADDED]
    pat = TeamMembership.objects.get(team=org.payments, user=org.pat)
    cora = TeamMembership.objects.get(team=org.payments, user=org.cora)
    response = kim_client.post(
        url("team", "change", org.payments.pk),
        team_form(
            org.payments,
            members=[(pat, org.pat, False, False), (cora, org.cora, False, False)],
            description="Money",
        ),
    )
    assert response.status_code == 302, errors(response)
    assert kinds()[2:] == [PeopleEventKind.TEAM_UPDATED, PeopleEventKind.MEMBER_UPDATED]
    assert {event.actor for event in events()} == {kim}


def test_critical_function_admin_writes_its_rows(kim_client, kim, org):
    data = {
        "name": "Scribe",
        "slug": "scribe",
        "duties": "",
        "position": 4,
        "is_active": "on",
        "incident_field": "",
        "cost_weight": "1.00",
    }
    assert kim_client.post(url("criticalfunction", "add"), data).status_code == 302
    scribe = CriticalFunction.objects.get(slug="scribe")
    changed = kim_client.post(url("criticalfunction", "change", scribe.pk), {**data, "duties": "x"})
    assert changed.status_code == 302, errors(changed)
    assert kinds() == [PeopleEventKind.FUNCTION_CREATED, PeopleEventKind.FUNCTION_UPDATED]
    assert {event.actor for event in events()} == {kim}


def test_delegation_admin_writes_its_rows(kim_client, kim, org):
    assert kim_client.post(url("delegation", "add"), delegation_form(org)).status_code == 302
    gina = delegation_of(org, org.gina, function=org.comms)
    changed = kim_client.post(url("delegation", "change", gina.pk), delegation_form(org, rank=3))
    assert changed.status_code == 302, errors(changed)
    deleted = kim_client.post(url("delegation", "delete", gina.pk), {"post": "yes"})
    assert deleted.status_code == 302
    assert kinds() == [
        PeopleEventKind.DELEGATION_SET,
        PeopleEventKind.DELEGATION_SET,
        PeopleEventKind.DELEGATION_REMOVED,
    ]
    assert {event.actor for event in events()} == {kim}


def test_unavailability_admin_writes_its_rows(kim_client, kim, org):
    added = kim_client.post(url("unavailability", "add"), window_form(org.pat, DAY, DAY))
    assert added.status_code == 302, errors(added)
    window = Unavailability.objects.get()
    changed = kim_client.post(
        url("unavailability", "change", window.pk), window_form(org.pat, DAY, DAY, reason="sick")
    )
    assert changed.status_code == 302, errors(changed)
    deleted = kim_client.post(url("unavailability", "delete", window.pk), {"post": "yes"})
    assert deleted.status_code == 302
    assert kinds() == [
        PeopleEventKind.UNAVAILABILITY_ADDED,
        PeopleEventKind.UNAVAILABILITY_UPDATED,
        PeopleEventKind.UNAVAILABILITY_REMOVED,
    ]
    assert {event.actor for event in events()} == {kim}


def test_a_refused_admin_form_writes_no_row(kim_client, org):
    response = kim_client.post(url("delegation", "add"), delegation_form(org, rank=1))
    assert response.status_code == 200
    assert events() == []


# --- The audit's admin: view only -----------------------------------------------------------


def test_the_audit_admin_shows_the_rows_and_changes_nothing(admin_client, kim, org):
    services.team_create(actor=kim, name="Growth")
    event = the_event()
    changelist = reverse("admin:people_peopleevent_changelist")
    response = admin_client.get(changelist)
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [event]
    assert admin_client.get(changelist, {"q": "Growth"}).status_code == 200
    change = reverse("admin:people_peopleevent_change", args=[event.pk])
    page = admin_client.get(change)
    assert page.status_code == 200
    assert "Growth" in page.content.decode()
    assert admin_client.get(reverse("admin:people_peopleevent_add")).status_code == 403
    assert admin_client.post(change, {"message": "edited"}).status_code == 403
    delete = reverse("admin:people_peopleevent_delete", args=[event.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert PeopleEvent.objects.get().message == ""
    assert response.context["action_form"] is None  # no actions: no bulk delete
