"""Effort and cost on the front doors: API (incident effort, monthly report), admin, portal."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from incidents import services
from incidents.models import EffortEntry, TimelineKind
from incidents.tests import effort_factories as ef
from incidents.tests import factories

pytestmark = pytest.mark.django_db

API = "/api/v1/"


def client_for(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def effort_events(incident):
    return incident.timeline.filter(kind=TimelineKind.EFFORT_LOGGED).count()


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def declarer():
    return factories.commander(username="dana")


@pytest.fixture
def public_incident(declare, declarer):
    return declare(actor=declarer)


@pytest.fixture
def private_incident(declare, declarer, security_type):
    return declare(actor=declarer, incident_type=security_type)


# --- API: who may do what ---------------------------------------------------------------------

ENDPOINTS = {
    "effort-list": ("get", "incidents/{ref}/effort/", None),
    "effort-log": ("post", "incidents/{ref}/effort/", "LOG"),
    "effort-remove": ("delete", "incidents/{ref}/effort/{entry}/", None),
    "effort-report": ("get", "reports/effort/?month=2026-03", None),
    "compliance-report": ("get", "reports/compliance/", None),
}
# The outsider is a responder who is not a participant of the private incident; the owner
# (the declarer) logged the entry that the others try to remove.
EXPECTED = {
    "anonymous": (401, 401, 401, 401, 401),
    "stakeholder": (200, 403, 403, 200, 200),
    "responder": (200, 201, 403, 200, 200),
    "commander": (200, 201, 403, 200, 200),
    "outsider": (404, 404, 404, 200, 200),
    "owner": (200, 201, 204, 200, 200),
}
MATRIX = [
    pytest.param(role, endpoint, code, id=f"{role}-{endpoint}-{code}")
    for role, codes in EXPECTED.items()
    for endpoint, code in zip(ENDPOINTS, codes, strict=True)
]


@pytest.mark.parametrize("role, endpoint, expected", MATRIX)
def test_permission_matrix(
    role,
    endpoint,
    expected,
    commander_user,
    responder_user,
    stakeholder_user,
    declarer,
    public_incident,
    private_incident,
    today,
):
    users = {
        "anonymous": None,
        "stakeholder": stakeholder_user,
        "responder": responder_user,
        "commander": commander_user,
        "outsider": factories.responder(username="olga"),
        "owner": declarer,
    }
    incident = private_incident if role == "outsider" else public_incident
    entry = services.effort_log(actor=declarer, incident=incident, hours=1, worked_on=today)
    before = (EffortEntry.objects.count(), effort_events(incident))
    method, path, body = ENDPOINTS[endpoint]
    if body == "LOG":
        body = {"hours": "1.5", "worked_on": today.isoformat()}
    url = API + path.format(ref=incident.reference, entry=entry.pk)

    response = getattr(client_for(users[role]), method)(url, body, format="json")

    assert response.status_code == expected, response.content
    if expected >= 400:
        assert (EffortEntry.objects.count(), effort_events(incident)) == before


# --- API: incident effort ---------------------------------------------------------------------


class TestIncidentEffortApi:
    def test_log_then_list(self, public_incident, commander_user, today):
        ef.function("scribe", "0.5")
        client = client_for(commander_user)
        url = f"{API}incidents/{public_incident.reference}/effort/"
        body = {"hours": "2.25", "worked_on": today.isoformat(), "function": "scribe", "note": "x"}
        created = client.post(url, body, format="json")
        assert created.status_code == 201, created.content
        entry = EffortEntry.objects.get()
        assert created.json() == {
            "id": entry.pk,
            "user": "cora",
            "function": "scribe",
            "hours": "2.25",
            "worked_on": today.isoformat(),
            "note": "x",
            "logged_at": created.json()["logged_at"],
        }
        assert [row["id"] for row in client.get(url).json()] == [entry.pk]
        detail = client.get(f"{API}incidents/{public_incident.reference}/").json()
        assert detail["effort"]["actual_hours"] == "2.25"
        assert detail["effort"]["cost"] == "112.50"  # 2.25 h × 100 × 0.5
        assert detail["effort"]["people"] == [
            {"user": "cora", "hours": "2.25", "cost": "112.50", "source": "logged"}
        ]

    def test_refusals_answer_400_with_the_services_words(self, public_incident, commander_user):
        client = client_for(commander_user)
        url = f"{API}incidents/{public_incident.reference}/effort/"
        tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
        future = client.post(url, {"hours": "1", "worked_on": tomorrow}, format="json")
        assert future.status_code == 400
        assert future.json() == {"worked_on": ["This day is in the future."]}
        odd = client.post(
            url, {"hours": "1.1", "worked_on": timezone.localdate().isoformat()}, format="json"
        )
        assert odd.json() == {"hours": ["Log time in quarter hours (0.25, 0.5, 0.75 …)."]}
        unknown = client.post(
            url,
            {"hours": "1", "worked_on": timezone.localdate().isoformat(), "function": "nope"},
            format="json",
        )
        assert unknown.status_code == 400 and list(unknown.json()) == ["function"]
        assert not EffortEntry.objects.exists()

    def test_idempotent_post(self, public_incident, commander_user, today):
        client = client_for(commander_user)
        url = f"{API}incidents/{public_incident.reference}/effort/"
        body = {"hours": "1", "worked_on": today.isoformat()}
        first = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
        again = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
        assert first.status_code == again.status_code == 201
        assert again.headers["Idempotent-Replayed"] == "true"
        assert EffortEntry.objects.count() == 1

    def test_removing_an_entry_of_another_incident_is_404(
        self, declare, public_incident, declarer, today
    ):
        other = declare(actor=declarer, title="Other")
        entry = services.effort_log(actor=declarer, incident=other, hours=1, worked_on=today)
        url = f"{API}incidents/{public_incident.reference}/effort/{entry.pk}/"
        assert client_for(declarer).delete(url).status_code == 404
        assert EffortEntry.objects.filter(pk=entry.pk).exists()


# --- API: monthly effort report ------------------------------------------------------------------


@pytest.fixture
def march(declare, commander_user, responder_user, sev1, sev2):
    """SEV1: 3 people × 2 h expected = 6 h; logged 2 h as commander (×1.5) and 3 h: 480 EUR.
    SEV2: 2 people × 1 h = 2 h; Rudy held the scribe role (×0.5) for the hour: 50 EUR."""
    ef.policy(commander_user, {sev1: {"expected_people": 3}, sev2: {"expected_people": 2}})
    commander, scribe = ef.function("commander", "1.5"), ef.function("scribe", "0.5")
    start = ef.utc(2026, 3, 2, 10)
    first = ef.move(declare(severity=sev1, title="A"), start, start + timedelta(hours=2))
    ef.logged(first, commander_user, "2", function=commander)
    ef.logged(first, responder_user, "3")
    start = ef.utc(2026, 3, 9, 10)
    second = ef.move(declare(title="B"), start, start + timedelta(hours=1))
    ef.role(second, scribe, responder_user, start)
    return [first, second]


class TestEffortReportApi:
    def test_figures(self, march, stakeholder_user):
        response = client_for(stakeholder_user).get(f"{API}reports/effort/", {"month": "2026-03"})
        assert response.status_code == 200
        assert response.json() == {
            "month": "2026-03",
            "currency": "EUR",
            "hourly_rate": "100.00",
            "severities": [
                {
                    "severity": "SEV1",
                    "incidents": 1,
                    "actual_hours": "5.00",
                    "expected_hours": "6.00",
                    "incidents_without_policy": 0,
                    "share_of_expected": 83,
                    "cost": "600.00",
                },
                {
                    "severity": "SEV2",
                    "incidents": 1,
                    "actual_hours": "1.00",
                    "expected_hours": "2.00",
                    "incidents_without_policy": 0,
                    "share_of_expected": 50,
                    "cost": "50.00",
                },
            ],
            "total": {
                "severity": None,
                "incidents": 2,
                "actual_hours": "6.00",
                "expected_hours": "8.00",
                "incidents_without_policy": 0,
                "share_of_expected": 75,
                "cost": "650.00",
            },
        }

    @pytest.mark.parametrize("month", ["2026-3", "March", "2026-13"])
    def test_bad_month(self, stakeholder_user, month):
        for report in ("effort", "compliance"):
            response = client_for(stakeholder_user).get(f"{API}reports/{report}/", {"month": month})
            assert response.status_code == 400
            assert response.json() == {"month": ["Give the month as YYYY-MM."]}

    def test_an_early_year_keeps_its_four_digits(self, stakeholder_user):
        for report in ("effort", "compliance"):
            response = client_for(stakeholder_user).get(
                f"{API}reports/{report}/", {"month": "0180-11"}
            )
            assert response.json()["month"] == "0180-11"

    def test_this_month_by_default(self, stakeholder_user):
        body = client_for(stakeholder_user).get(f"{API}reports/effort/").json()
        assert body["month"] == timezone.localdate().strftime("%Y-%m")


# --- Admin ---------------------------------------------------------------------------------------

CHANGELIST = reverse("admin:incidents_effortentry_changelist")
ADD = reverse("admin:incidents_effortentry_add")


class TestAdmin:
    def test_pages_render(self, admin_client, admin_user, public_incident, today):
        entry = services.effort_log(
            actor=admin_user, incident=public_incident, hours=2, worked_on=today
        )
        listing = admin_client.get(CHANGELIST)
        assert listing.status_code == 200
        assert "200.00 EUR" in listing.content.decode()
        assert admin_client.get(ADD).status_code == 200
        change = admin_client.get(reverse("admin:incidents_effortentry_change", args=[entry.pk]))
        assert change.status_code == 200 and 'name="_save"' not in change.content.decode()
        incident_page = admin_client.get(
            reverse("admin:incidents_incident_change", args=[public_incident.pk])
        )
        assert incident_page.status_code == 200
        assert "effort entries" in incident_page.content.decode().lower()

    def test_add_logs_through_the_service(self, admin_client, admin_user, public_incident, today):
        data = {"incident": public_incident.pk, "hours": "1.5", "worked_on": today.isoformat()}
        response = admin_client.post(ADD, data)
        assert response.status_code == 302, response.context["adminform"].form.errors
        entry = EffortEntry.objects.get()
        assert entry.user == admin_user and entry.hours == Decimal("1.5")
        assert effort_events(public_incident) == 1

    def test_add_refused_shows_the_services_message(self, admin_client, public_incident, today):
        data = {
            "incident": public_incident.pk,
            "hours": "1.5",
            "worked_on": (today + timedelta(days=1)).isoformat(),
        }
        response = admin_client.post(ADD, data)
        assert response.status_code == 200
        assert response.context["adminform"].form.errors == {
            "worked_on": ["This day is in the future."]
        }
        assert not EffortEntry.objects.exists()

    def test_delete_through_the_service(self, admin_client, admin_user, public_incident, today):
        entry = services.effort_log(
            actor=admin_user, incident=public_incident, hours=2, worked_on=today
        )
        url = reverse("admin:incidents_effortentry_delete", args=[entry.pk])
        assert admin_client.post(url, {"post": "yes"}).status_code == 302
        assert not EffortEntry.objects.exists()
        assert effort_events(public_incident) == 2  # logged, then removed

    def test_staff_see_only_entries_of_incidents_they_may_see(
        self, client, declarer, public_incident, private_incident, today
    ):
        from policy.tests.factories import grant

        services.effort_log(actor=declarer, incident=public_incident, hours=1, worked_on=today)
        services.effort_log(actor=declarer, incident=private_incident, hours=2, worked_on=today)
        staff = factories.responder(username="sam", is_staff=True)
        client.force_login(grant(staff, "view_effortentry"))
        response = client.get(CHANGELIST)
        shown = [entry.incident for entry in response.context["cl"].result_list]
        assert shown == [public_incident]


# --- Portal --------------------------------------------------------------------------------------


def page(incident):
    return reverse("portal:incident", args=[incident.reference])


def log_url(incident):
    return reverse("portal:effort-log", args=[incident.reference])


class TestPortal:
    def test_effort_panel_with_the_form_for_those_who_can_act(
        self, client, public_incident, commander_user, stakeholder_user, declarer, today
    ):
        entry = services.effort_log(
            actor=declarer, incident=public_incident, hours=3, worked_on=today
        )
        remove = reverse("portal:effort-remove", args=[public_incident.reference, entry.pk])
        client.force_login(commander_user)
        html = client.get(page(public_incident)).content.decode()
        assert 'id="effort"' in html and 'id="policy"' in html
        assert "300.00 EUR" in html and "Log your time" in html
        assert remove not in html  # Dana's entry is not Cora's to remove
        client.force_login(declarer)
        assert remove in client.get(page(public_incident)).content.decode()
        client.force_login(stakeholder_user)
        html = client.get(page(public_incident)).content.decode()
        assert 'id="effort"' in html and "Log your time" not in html

    def test_log_time(self, client, public_incident, commander_user, today):
        client.force_login(commander_user)
        response = client.post(
            log_url(public_incident),
            {"hours": "1.25", "worked_on": today.isoformat(), "note": "Bridge call"},
        )
        assert response.status_code == 302
        assert response.url == page(public_incident) + "#effort"
        entry = EffortEntry.objects.get()
        assert (entry.user, entry.hours, entry.note) == (
            commander_user,
            Decimal("1.25"),
            "Bridge call",
        )
        followed = client.get(response.url).content.decode()
        assert f"Logged 1.25 h on {public_incident.reference}." in followed

    def test_refused_log_keeps_what_was_typed(self, client, public_incident, commander_user, today):
        client.force_login(commander_user)
        tomorrow = (today + timedelta(days=1)).isoformat()
        response = client.post(
            log_url(public_incident), {"hours": "1.25", "worked_on": tomorrow, "note": "Kept"}
        )
        assert response.status_code == 400
        form = response.context["effort_form"]
        assert form.errors == {"worked_on": ["This day is in the future."]}
        html = response.content.decode()
        assert 'value="Kept"' in html and "This day is in the future." in html
        assert not EffortEntry.objects.exists()

    def test_unparseable_input(self, client, public_incident, commander_user):
        client.force_login(commander_user)
        response = client.post(log_url(public_incident), {"hours": "lots", "worked_on": "x"})
        assert response.status_code == 400
        assert set(response.context["effort_form"].errors) == {"hours", "worked_on"}

    def test_not_allowed(self, client, public_incident, private_incident, stakeholder_user, today):
        client.force_login(stakeholder_user)
        body = {"hours": "1", "worked_on": today.isoformat()}
        assert client.post(log_url(public_incident), body).status_code == 403
        assert client.post(log_url(private_incident), body).status_code == 404
        assert client.get(log_url(public_incident)).status_code == 405
        assert not EffortEntry.objects.exists()

    def test_remove_own_but_not_someone_elses(
        self, client, public_incident, commander_user, declarer, today
    ):
        mine = services.effort_log(
            actor=commander_user, incident=public_incident, hours=1, worked_on=today
        )
        theirs = services.effort_log(
            actor=declarer, incident=public_incident, hours=1, worked_on=today
        )
        client.force_login(commander_user)

        def remove(entry):
            url = reverse("portal:effort-remove", args=[public_incident.reference, entry.pk])
            return client.post(url)

        assert remove(theirs).status_code == 403
        assert remove(mine).status_code == 302
        assert list(EffortEntry.objects.all()) == [theirs]

    def test_reports_page(self, client, march, stakeholder_user):
        client.force_login(stakeholder_user)
        response = client.get(reverse("portal:reports"), {"month": "2026-03"})
        assert response.status_code == 200
        html = response.content.decode()
        assert "Reports · March 2026" in html
        assert 'aria-current="page">Reports</a>' in html
        assert "650.00 EUR" in html and "83%" in html
        assert response.context["effort"].total.actual_hours == Decimal("6.00")
        assert "?month=2026-02" in html and "?month=2026-04" in html

    def test_reports_page_bad_month(self, client, stakeholder_user):
        client.force_login(stakeholder_user)
        response = client.get(reverse("portal:reports"), {"month": "soon"})
        assert response.status_code == 400
        assert "Choose a month as YYYY-MM" in response.content.decode()
        assert response.context["month"] == timezone.localdate().replace(day=1)

    def test_reports_page_queries_do_not_grow(
        self, client, declare, commander_user, stakeholder_user
    ):
        client.force_login(stakeholder_user)
        scribe = ef.function("scribe", "0.5")

        def queries_for(count, month):
            for number in range(count):
                start = ef.utc(month.year, month.month, 2 + number, 9)
                incident = ef.move(declare(title=f"I{number}"), start, start + timedelta(hours=1))
                ef.logged(incident, commander_user, "1")
                ef.role(incident, scribe, stakeholder_user, start)
                ef.measure(incident)
            with CaptureQueriesContext(connection) as queries:
                response = client.get(reverse("portal:reports"), {"month": f"{month:%Y-%m}"})
            assert response.context["effort"].total.incidents == count
            return len(queries)

        assert queries_for(1, date(2026, 3, 1)) == queries_for(5, date(2026, 5, 1))
