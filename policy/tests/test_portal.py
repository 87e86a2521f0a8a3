"""The portal's Policy page: what it shows, and signing off, rejecting and submitting from it."""

from datetime import timedelta

import pytest
from django.urls import reverse

from incidents.tests import factories
from policy import services as policy_services
from policy.models import PolicyStatus
from policy.tests import factories as pf

pytestmark = pytest.mark.django_db

PAGE = reverse("portal:policy")


def action(version, name):
    return reverse("portal:policy-action", args=[version.number, name])


def text(response):
    return response.content.decode()


@pytest.fixture
def w():
    return pf.world()


@pytest.fixture
def severities(sev1, sev2):
    return [sev1, sev2]


@pytest.fixture
def v1(w, severities):
    version = pf.draft(w.mona, severities, cadence={"SEV1": 15, "SEV2": 240}, summary="First")
    policy_services.policy_level_set(
        actor=w.mona, version=version, severity=severities[0], paged_functions=[w.communications]
    )
    return pf.make_effective(version, w.mona, w.signers)


@pytest.fixture
def v2(w, v1, sev2):
    version = policy_services.policy_draft_create(actor=w.mona, summary="Faster SEV2 updates")
    policy_services.policy_level_set(
        actor=w.mona, version=version, severity=sev2, update_cadence_minutes=60
    )
    policy_services.policy_submit(actor=w.mona, version=version)
    policy_services.policy_sign_off(actor=w.cora, version=version, team=w.platform, comment="Fine")
    return version


def test_anonymous_visitors_are_sent_to_log_in(client):
    assert client.get(PAGE).status_code == 302


def test_page_without_any_policy(client, w):
    client.force_login(w.paul)
    response = client.get(PAGE)
    assert response.status_code == 200
    assert "No policy in force yet" in text(response)


def test_page_shows_the_effective_version_per_severity(client, w, v1):
    client.force_login(w.paul)
    response = client.get(PAGE)

    assert response.status_code == 200
    table = response.context["effective_table"]
    rows = {str(label): [cell.text for cell in cells] for label, cells in table.rows}
    assert rows["Status update every"] == ["15 min", "4 h"]
    assert rows["Acknowledge within"] == ["15 min", "15 min"]
    assert rows["Functions paged"] == ["Communications Lead", "—"]
    assert rows["Audiences informed"] == ["Responders, Stakeholders"] * 2
    assert rows["Staffing"] == ["24/7 until resolved"] * 2
    assert rows["Postmortem"] == ["due in 5 days"] * 2
    # SEV1 pages a function: the default chain, from the acknowledgement target (15 min).
    assert rows["Acknowledgement escalation"] == [
        "at 0 min page the commander by sms → voice → slack → email; at 0 min the functions "
        "the level pages; at 15 min the commander's backup; at 25 min the executive; repeat "
        "15 min after the last stage, 3 rounds",
        "nobody is paged",
    ]
    assert (
        rows["Status-update escalation"]
        == [
            "at 0 min tell the commander; at 10 min the commander's backup; at 20 min the "
            "executive; repeat 10 min after the last stage, until an update is posted"
        ]
        * 2
    )
    page = text(response)
    assert "In force: version 1" in page
    assert "Cora Diaz (Platform)" in page and "Pat Kim (Payments)" in page
    assert 'aria-current="page">Policy</a>' in page


def test_page_shows_sign_off_progress_and_what_changed(client, w, v2):
    client.force_login(w.paul)
    response = client.get(PAGE)

    [entry] = response.context["pending"]
    assert str(entry.progress) == "1 of 2"
    assert [t.slug for t in entry.progress.missing] == ["payments"]
    assert entry.table.changes == 1
    page = text(response)
    assert "1 of 2 signed" in page
    assert "waiting for" in page and "Pat Kim" in page
    assert "Fine" in page  # Cora's comment
    # Paul leads nothing: no sign-off or reject form for him.
    assert entry.sign_forms == [] and entry.reject_form is None
    assert "Sign off for" not in page


def test_a_lead_of_a_missing_team_gets_a_button_and_signing_makes_the_version_effective(
    client, w, v1, v2
):
    client.force_login(w.pat)
    page = client.get(PAGE)
    assert "Sign off for Payments" in text(page)
    assert "Sign off for Platform" not in text(page)

    response = client.post(
        action(v2, "sign-off"), {"team": w.payments.pk, "comment": "Agreed"}, follow=True
    )

    assert response.redirect_chain[-1][0] == f"{PAGE}#v2"
    assert "it is now in force for new incidents" in text(response)
    v2.refresh_from_db()
    v1.refresh_from_db()
    assert (v2.status, v1.status) == (PolicyStatus.EFFECTIVE, PolicyStatus.SUPERSEDED)
    assert v2.sign_offs.get(team=w.payments).comment == "Agreed"
    assert response.context["effective"] == v2


def test_a_lead_of_a_team_that_already_signed_gets_no_button(client, w, v2):
    client.force_login(w.cora)
    page = client.get(PAGE)
    [entry] = page.context["pending"]
    assert entry.sign_forms == []
    assert entry.reject_form is not None  # a lead of a sign-off team may still reject


def test_a_forged_sign_off_is_refused_with_the_services_words(client, w, v2):
    client.force_login(w.gina)
    response = client.post(action(v2, "sign-off"), {"team": w.payments.pk})
    assert response.status_code == 403
    assert "You are not a lead of Payments" in text(response)
    assert v2.sign_offs.count() == 1


def test_a_second_sign_off_for_a_team_is_a_conflict(client, w, v2):
    client.force_login(w.cora)
    response = client.post(action(v2, "sign-off"), {"team": w.platform.pk})
    assert response.status_code == 409
    assert "Platform already signed off" in text(response)


def test_reject_from_the_portal(client, w, v2):
    client.force_login(w.pat)

    empty = client.post(action(v2, "reject"), {"reason": ""})
    assert empty.status_code == 400
    response = client.post(action(v2, "reject"), {"reason": "SEV2 needs 30 minutes"}, follow=True)

    assert "was rejected and went back to draft" in text(response)
    v2.refresh_from_db()
    assert v2.status == PolicyStatus.DRAFT
    assert not v2.sign_offs.exists()
    assert v2.events.last().data["reason"] == "SEV2 needs 30 minutes"


def test_a_manager_submits_a_draft_from_the_portal(client, w, v1):
    draft = policy_services.policy_draft_create(actor=w.mona)
    client.force_login(w.mona)
    assert "Submit for sign-off" in text(client.get(PAGE))

    response = client.post(action(draft, "submit"), follow=True)

    assert "was submitted for sign-off" in text(response)
    draft.refresh_from_db()
    assert draft.status == PolicyStatus.IN_REVIEW


def test_submit_by_someone_else_is_refused(client, w, v1):
    draft = policy_services.policy_draft_create(actor=w.mona)
    client.force_login(w.pat)
    assert "Submit for sign-off" not in text(client.get(PAGE))
    assert client.post(action(draft, "submit")).status_code == 403


def test_unknown_action_and_version(client, w, v1):
    client.force_login(w.pat)
    assert client.post(action(v1, "approve")).status_code == 404
    assert client.post(reverse("portal:policy-action", args=[9, "reject"])).status_code == 404


def test_the_page_shows_the_priority_matrix(client, w):
    p1 = factories.PriorityFactory(name="P1", rank=1)
    policy_services.priority_matrix_set(actor=w.mona, impact="high", urgency="high", priority=p1)
    client.force_login(w.paul)
    response = client.get(PAGE)
    rows = dict(response.context["matrix"])
    assert [p and p.name for _u, p in rows["high"]] == ["P1", None, None]
    assert 'class="matrix-cell prio-1"' in text(response)


def test_history_lists_decided_versions(client, w, v1, v2):
    policy_services.policy_sign_off(actor=w.pat, version=v2, team=w.payments)
    client.force_login(w.paul)
    history = client.get(PAGE).context["history"]
    assert [(v.number, v.status) for v, _progress in history] == [
        (2, PolicyStatus.EFFECTIVE),
        (1, PolicyStatus.SUPERSEDED),
    ]


# --- Declaration: the matrix's suggestion, its override, the owning team ---------------------


@pytest.fixture
def matrix(w):
    p1, p2 = (
        factories.PriorityFactory(name="P1", rank=1),
        factories.PriorityFactory(name="P2", rank=2),
    )
    policy_services.priority_matrix_set(actor=w.mona, impact="high", urgency="high", priority=p1)
    policy_services.priority_matrix_set(actor=w.mona, impact="high", urgency="low", priority=p2)
    return {"P1": p1, "P2": p2}


def declaration(outage, sev1, **overrides):
    return {
        "title": "Card payments fail",
        "incident_type": outage.pk,
        "severity": sev1.pk,
        "affects_customers": "on",
        "unplanned": "on",
        "exceeds_one_hour": "on",
        **overrides,
    }


def test_declare_form_offers_impact_urgency_and_team(client, w, matrix):
    client.force_login(w.cora)
    response = client.get(reverse("portal:declare"))
    page = text(response)
    assert response.status_code == 200
    for field in ("impact_level", "urgency", "priority_override_reason", "team"):
        assert f'name="{field}"' in page
    assert 'id="priority-matrix"' in page
    assert '"high": {"high": "P1", "low": "P2"}' in page
    assert "js/priority-suggestion.js" in page


def test_declare_takes_the_suggested_priority_and_records_the_policy(
    client, w, v1, matrix, outage, sev1
):
    client.force_login(w.cora)
    body = declaration(outage, sev1, impact_level="high", urgency="low", team=w.payments.pk)

    response = client.post(reverse("portal:declare"), body)

    assert response.status_code == 302
    incident = w.cora.declared_incidents.get()
    assert (incident.priority.name, incident.team, incident.policy_version) == (
        "P2",
        w.payments,
        v1,
    )
    assert incident.next_update_due - incident.declared_at == timedelta(minutes=15)


def test_declare_with_another_priority_needs_a_reason(client, w, matrix, outage, sev1):
    client.force_login(w.cora)
    body = declaration(outage, sev1, impact_level="high", urgency="low", priority=matrix["P1"].pk)

    refused = client.post(reverse("portal:declare"), body)

    assert refused.status_code == 400
    assert "The priority matrix suggests P2 for high impact and low urgency" in text(refused)
    assert "The priority matrix suggests <strong>P2</strong>." in text(refused)
    accepted = client.post(
        reverse("portal:declare"), {**body, "priority_override_reason": "Card payments: revenue"}
    )
    assert accepted.status_code == 302
    incident = w.cora.declared_incidents.get()
    assert incident.priority == matrix["P1"]
    assert incident.priority_override_reason == "Card payments: revenue"
