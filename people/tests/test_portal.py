"""The portal's Delegates and My availability pages, the dashboard's SPOF count, and the
incident page's Roles panel."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.models import RoleAssignment, TimelineKind
from incidents.tests import factories
from people.models import Delegation, Unavailability, UserPreference
from people.tests.setup import away, build_org

pytestmark = pytest.mark.django_db

DELEGATES = reverse("portal:delegates")
AVAILABILITY = reverse("portal:availability")


def text(response):
    return response.content.decode()


@pytest.fixture
def org():
    return build_org()


@pytest.fixture
def stella():
    return factories.stakeholder(username="stella", first_name="Stella", last_name="Stone")


@pytest.fixture
def stella_client(client, stella):
    client.force_login(stella)
    return client


# --- Delegates page -------------------------------------------------------------------------


def test_delegates_page_lists_every_function_and_scope(stella_client, org):
    away(org.cora, reason="sick")
    response = stella_client.get(DELEGATES)
    assert response.status_code == 200
    page = text(response)
    for label in ("Incident commander", "Responder", "Communications lead", "Payments"):
        assert label in page
    functions = [
        (f.slug, [s.row.scope_label for s in scopes]) for f, scopes in response.context["functions"]
    ]
    assert functions == [
        ("incident-commander", ["Organisation", "Payments"]),
        ("responder", ["Organisation"]),
        ("communications-lead", ["Organisation"]),
    ]
    commander = response.context["functions"][0][1][0]
    assert [(d.label, d.user.username, d.available_now) for d in commander.delegates] == [
        ("Primary", "cora", False),
        ("Backup 1", "pat", True),
    ]
    assert commander.delegates[0].notes()[0][0] == "away"
    assert "Sick until" in page


def test_spof_section_says_who_is_missing_and_when(stella_client, org):
    starts = timezone.now() + timedelta(days=3)
    Unavailability.objects.create(
        user=org.gina, starts_at=starts, ends_at=starts + timedelta(days=7), reason="holiday"
    )
    response = stella_client.get(DELEGATES)
    spofs = {(s.row.function.slug, s.row.team): s.why for s in response.context["spofs"]}
    assert set(spofs) == {("communications-lead", None), ("responder", None)}
    assert spofs[("communications-lead", None)] == "only 1 available — 1 delegate"
    when = timezone.localtime(starts)
    day = f"{when.day} {when:%b}"
    assert spofs[("responder", None)].startswith(
        f"only 1 available — Gina Growth is on holiday from {day}"
    )
    page = text(response)
    assert "2 single points of failure" in page
    assert "Responder (Organisation)" in page
    assert page.index('id="spof"') < page.index('id="function-incident-commander"')


def test_spof_section_when_the_only_delegate_is_away(stella_client, org):
    away(org.pat, lasts=timedelta(days=2))
    spofs = {s.row.function.slug: s.why for s in stella_client.get(DELEGATES).context["spofs"]}
    assert spofs["communications-lead"].startswith(
        "nobody available — Pat Lee is on holiday until "
    )


def test_no_spof(stella_client):
    function = factories.CriticalFunctionFactory(name="Scribe", slug="scribe")
    for rank in (1, 2):
        Delegation.objects.create(function=function, user=factories.UserFactory(), rank=rank)
    page = text(stella_client.get(DELEGATES))
    assert "No single points of failure" in page


def test_dashboard_shows_the_spof_count(stella_client, org):
    response = stella_client.get(reverse("portal:dashboard"))
    assert response.context["spof_count"] == 1
    assert f'href="{DELEGATES}#spof"' in text(response)
    assert "single point of failure among the delegates" in text(response)


def test_nav_links_to_delegates(stella_client):
    assert f'href="{DELEGATES}"' in text(stella_client.get(reverse("portal:dashboard")))


def test_pages_need_a_login(client):
    for page in (DELEGATES, AVAILABILITY):
        assert client.get(page).status_code == 302


# --- My availability ------------------------------------------------------------------------


def test_add_own_window_in_own_time_zone(stella_client, stella):
    UserPreference.objects.create(user=stella, time_zone="Europe/Berlin")
    year = timezone.now().year + 1
    response = stella_client.post(
        AVAILABILITY,
        {
            "starts_at": f"{year}-01-02T09:00",
            "ends_at": f"{year}-01-09T18:00",
            "reason": "holiday",
            "note": "Skiing",
        },
        follow=True,
    )
    assert response.status_code == 200
    window = Unavailability.objects.get()
    assert (window.user, window.reason, window.note) == (stella, "holiday", "Skiing")
    assert window.starts_at == datetime(year, 1, 2, 8, 0, tzinfo=UTC)
    assert window.ends_at == datetime(year, 1, 9, 17, 0, tzinfo=UTC)
    page = text(response)
    assert "Saved: you are on holiday from 2 Jan 09:00 until 9 Jan 18:00." in page
    assert "Skiing" in page


def test_bad_window_is_refused_with_the_message(stella_client):
    response = stella_client.post(
        AVAILABILITY,
        {"starts_at": "2999-01-09T09:00", "ends_at": "2999-01-02T09:00", "reason": "sick"},
    )
    assert response.status_code == 400
    assert "The window must end after it starts." in text(response)
    assert not Unavailability.objects.exists()


def test_remove_own_window_but_not_someone_elses(stella_client, stella, org):
    mine = away(stella, starts_in=timedelta(days=1))
    theirs = away(org.pat)
    page = text(stella_client.get(AVAILABILITY))
    assert reverse("portal:availability-remove", args=[mine.pk]) in page
    assert reverse("portal:availability-remove", args=[theirs.pk]) not in page

    response = stella_client.post(reverse("portal:availability-remove", args=[theirs.pk]))
    assert response.status_code == 403
    response = stella_client.post(reverse("portal:availability-remove", args=[mine.pk]))
    assert response.status_code == 302
    assert list(Unavailability.objects.all()) == [theirs]


def test_availability_lists_ones_delegations(client, org):
    client.force_login(org.pat)
    page = text(client.get(AVAILABILITY))
    assert "Incident commander (Organisation) — rank 2" in page
    assert "Incident commander (Payments) — primary" in page
    assert "Communications lead (Organisation) — primary" in page


# --- Incident page: Roles panel -------------------------------------------------------------


def incident_page(incident):
    return reverse("portal:incident", args=[incident.reference])


@pytest.fixture
def staffed(org, declare):
    """Declared while Cora is on holiday: Pat commands; nobody is responder (none delegated)."""
    away(org.cora)
    Delegation.objects.filter(function=org.responder).delete()
    return declare(actor=org.cora)


def test_incident_page_shows_roles_and_gaps(stella_client, staffed):
    response = stella_client.get(incident_page(staffed))
    assert response.status_code == 200
    page = text(response)
    assert [(r.function.slug, r.user.username) for r in response.context["roles"]] == [
        ("incident-commander", "pat")
    ]
    assert "Cora Diaz is unavailable (holiday) until" in page
    assert "rank 2 stands in" in page
    assert "Nobody is Responder" in page
    assert "Hand a role over" not in page  # a stakeholder may not act


def test_handover_form(client, staffed, org):
    client.force_login(org.pat)
    page = text(client.get(incident_page(staffed)))
    assert "Hand a role over" in page
    url = reverse("portal:incident-action", args=[staffed.reference, "handover"])

    response = client.post(
        url, {"function": org.responder.pk, "to_user": org.rudy.pk, "note": "Joining"}
    )

    assert response.status_code == 302
    holder = RoleAssignment.objects.get(incident=staffed, function=org.responder, ended_at=None)
    assert (holder.user, holder.reason) == (org.rudy, "Joining")
    event = staffed.timeline.filter(kind=TimelineKind.ROLE_HANDED_OVER).get()
    assert event.message == "Rudy Okafor took Responder. Joining"
    page = text(client.get(incident_page(staffed)))
    assert "Nobody is Responder" not in page

    again = client.post(url, {"function": org.responder.pk, "to_user": org.rudy.pk})
    assert again.status_code == 409
    assert "Rudy Okafor already holds Responder." in text(again)
    missing = client.post(url, {"function": org.responder.pk})
    assert missing.status_code == 400
    assert "This field is required." in text(missing)
