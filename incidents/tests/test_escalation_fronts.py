"""What the incident page, the API and the dashboard show of the escalations: the stage
reached, who is next and when, each round with whom it told and whom it skipped and why; the
dashboard puts unacknowledged incidents past their target first, with who was paged."""

from datetime import timedelta

import pytest
import time_machine
from rest_framework.test import APIClient

from incidents import selectors, services
from incidents.selectors_escalation import ack_overdue_first
from incidents.services.escalation import incident_escalate
from incidents.tests.escalation_setup import escalation_org, sev1_paging_policy
from people.tests.setup import away

pytestmark = pytest.mark.django_db
MINUTE = timedelta(minutes=1)


@pytest.fixture
def org():
    return escalation_org()


@pytest.fixture
def declared(declare, org, sev1, sev2, django_capture_on_commit_callbacks):
    sev1_paging_policy(org, sev1, sev2)

    def _declared(**fields):
        with django_capture_on_commit_callbacks(execute=True):
            incident = declare(actor=org.cora, commander=org.cora, severity=sev1, **fields)
        incident.refresh_from_db()
        return incident

    return _declared


def at_declaration(incident, minutes):
    incident_escalate(incident_id=incident.pk, now=incident.declared_at + minutes * MINUTE)


def api_escalations(user, incident):
    client = APIClient()
    client.force_authenticate(user)
    return client.get(f"/api/v1/incidents/{incident.reference}/escalations/")


def test_the_api_shows_the_stage_reached_who_is_next_and_each_round(declared, org):
    incident = declared()
    at_declaration(incident, 5)
    response = api_escalations(org.cora, incident)
    assert response.status_code == 200
    ack, update = response.json()
    assert (ack["kind"], update["kind"]) == ("ack", "update")
    assert ack["chain"].startswith("at 0 min page the commander; at 0 min the functions")
    assert ack["stage_reached"] == {"round": 1, "stage": 3}
    assert ack["next_who"] == "the delegate after them" and ack["stopped"] == ""
    assert [r["round"] for r in ack["rounds"]] == [1]
    assert [(s["stage"], s["recipients"]) for s in ack["rounds"][0]["stages"]] == [
        (1, ["cora"]),
        (2, ["pat"]),
        (3, ["pat"]),
    ]
    assert update["stage_reached"] is None and update["next_who"] == "the commander"


def test_the_api_says_who_was_skipped_and_why_and_when_it_stopped(declared, org):
    away(org.cora, reason="sick")
    incident = declared()
    at_declaration(incident, 0)
    services.incident_acknowledge(incident=incident, actor=org.pat)
    ack = api_escalations(org.cora, incident).json()[0]
    first = ack["rounds"][0]["stages"][0]
    assert first["recipients"] == ["pat"]
    assert first["skipped"][0]["name"] == "Cora Diaz"
    assert first["skipped"][0]["reason"].startswith("is unavailable (sick) until ")
    assert ack["stopped"].startswith("acknowledged at ") and ack["next_at"] is None


def test_the_incident_page_shows_each_escalation(client, declared, org):
    incident = declared()
    at_declaration(incident, 5)
    client.force_login(org.cora)
    page = client.get(f"/incidents/{incident.reference}/").content.decode()
    assert "Acknowledgement escalation" in page and "Status-update escalation" in page
    assert "Reached round 1, stage 3." in page
    assert "Next: the delegate after them" in page
    assert "Round 1" in page and "Pat Lee" in page


def test_the_dashboard_puts_unacknowledged_incidents_past_their_target_first(client, declared, org):
    answered = declared(title="Checkout errors")
    services.incident_acknowledge(incident=answered, actor=org.cora)
    silent = declared(title="Payments down")
    at_declaration(silent, 0)
    client.force_login(org.erin)
    with time_machine.travel(silent.declared_at + 10 * MINUTE, tick=False):
        page = client.get("/").content.decode()
    assert page.index("Payments down") < page.index("Checkout errors")
    row = page[page.index("Payments down") : page.index("Checkout errors")]
    assert "past target" in row and "Paged: Cora Diaz, Pat Lee" in row


def test_the_dashboard_order_takes_three_queries_however_many_incidents(
    declared, org, django_assert_num_queries
):
    for number in range(3):
        at_declaration(declared(title=f"Outage {number}"), 0)
    incidents = list(selectors.incident_active_list(user=org.cora))
    later = incidents[0].declared_at + 10 * MINUTE
    with django_assert_num_queries(3):
        ordered = ack_overdue_first(incidents, now=later)
    assert [i.ack_watch.overdue for i in ordered] == [True, True, True]
    assert [p.username for p in ordered[0].ack_watch.paged] == ["cora", "pat"]
