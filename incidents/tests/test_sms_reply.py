"""Replying ACK to an SMS page, through the provider's signed inbound webhook."""

import json
import time

import pytest
import time_machine
from django.test import Client

from incidents import services
from incidents.models import TimelineKind
from incidents.services.escalation import incident_escalate
from incidents.tests.escalation_setup import SEV1_ACK_CHAIN, effective_policy, escalation_org
from notifications.channels.webhook import signature
from notifications.models import Delivery
from people.models import UserPreference

pytestmark = pytest.mark.django_db
URL = "/webhooks/sms/inbound"
CORA, PAT = "+33600000001", "+33600000002"


@pytest.fixture
def org():
    org = escalation_org()
    for user, phone in ((org.cora, CORA), (org.pat, PAT)):
        UserPreference.objects.update_or_create(user=user, defaults={"phone": phone})
    return org


@pytest.fixture
def paged(declare, org, sev1, settings, django_capture_on_commit_callbacks):
    """A SEV1 whose declaration stages paged Cora (commander) and Pat (comms) by SMS."""
    settings.BEACON_SMS_WEBHOOK_URL = "http://127.0.0.1:9/sms"  # configured; nothing is sent
    effective_policy(org.cora, {sev1: ([org.comms], {"ack_chain": SEV1_ACK_CHAIN})})
    with django_capture_on_commit_callbacks(execute=True):
        incident = declare(actor=org.cora, commander=org.cora, severity=sev1)
    incident_escalate(incident_id=incident.pk, now=incident.declared_at)
    return incident


def reply(sender, text, *, secret="test-sms-inbound-secret", at=None, body=None):
    body = body if body is not None else json.dumps({"from": sender, "text": text}).encode()
    timestamp = str(int(at if at is not None else time.time()))
    return Client(enforce_csrf_checks=True).post(
        URL,
        body,
        content_type="application/json",
        headers={
            "X-Beacon-Timestamp": timestamp,
            "X-Beacon-Signature": signature(secret, timestamp, body),
        },
    )


def acknowledgements(incident):
    return list(incident.timeline.filter(kind=TimelineKind.ACKNOWLEDGED))


@pytest.mark.parametrize("text", ["ACK", " ack ", "Ack {ref}", "ACK {ref_lower}"])
def test_an_ack_reply_acknowledges_as_the_person_paged_at_that_number(paged, org, text):
    text = text.format(ref=paged.reference, ref_lower=paged.reference.lower())
    answer = reply(PAT, text)
    assert answer.status_code == 200, answer.content
    assert answer.json() == {"acknowledged": paged.reference, "already": False}
    (event,) = acknowledgements(paged)
    assert (event.actor, event.after["via"]) == (org.pat, "sms_reply")
    assert event.message == "Acknowledged through an SMS reply."


def test_a_repeated_reply_acknowledges_once_and_answers_the_same(paged):
    assert reply(PAT, "ACK").status_code == 200
    again = reply(CORA, "ACK")
    assert (again.status_code, again.json()["already"]) == (200, True)
    assert len(acknowledgements(paged)) == 1


def test_a_reply_racing_another_acknowledgement_answers_already(paged, org, monkeypatch):
    acknowledge = services.incident_acknowledge

    def beaten(**kwargs):  # Cora acknowledges between the reply's check and its own attempt
        acknowledge(incident=kwargs["incident"], actor=org.cora)
        return acknowledge(**kwargs)

    monkeypatch.setattr(services, "incident_acknowledge", beaten)
    answer = reply(PAT, "ACK")
    assert (answer.status_code, answer.json()["already"]) == (200, True)
    (event,) = acknowledgements(paged)
    assert event.actor == org.cora


@pytest.mark.parametrize(
    "headers_of",
    [
        lambda: {"secret": "not-the-secret"},
        lambda: {"at": time.time() - 301},
        lambda: {"at": time.time() + 301},
    ],
)
def test_a_badly_signed_or_stale_reply_is_refused(paged, headers_of):
    refused = reply(PAT, "ACK", **headers_of())
    assert refused.status_code == 401
    assert acknowledgements(paged) == []


def test_a_reply_whose_body_was_changed_after_signing_is_refused(paged):
    body = json.dumps({"from": PAT, "text": "ACK"}).encode()
    timestamp = str(int(time.time()))
    refused = Client().post(
        URL,
        body.replace(b"ACK", b"ack"),
        content_type="application/json",
        headers={
            "X-Beacon-Timestamp": timestamp,
            "X-Beacon-Signature": signature("test-sms-inbound-secret", timestamp, body),
        },
    )
    assert refused.status_code == 401


def test_a_reply_signed_long_ago_is_refused_even_with_the_clock_moved(paged):
    signed_at = time.time()
    with time_machine.travel(signed_at + 600):
        assert reply(PAT, "ACK", at=signed_at).status_code == 401


def test_an_unknown_number_is_told_so(paged):
    refused = reply("+33699999999", "ACK")
    assert refused.status_code == 404
    assert "belongs to nobody" in refused.json()["error"]


def test_a_number_with_no_page_waiting_is_told_so(paged, org):
    UserPreference.objects.update_or_create(user=org.erin, defaults={"phone": "+33600000009"})
    refused = reply("+33600000009", "ACK")
    assert refused.status_code == 404
    assert "No page" in refused.json()["error"]


def test_a_reference_names_the_incident_to_acknowledge(paged):
    refused = reply(PAT, "ACK INC-1999-0001")
    assert refused.status_code == 404
    assert acknowledgements(paged) == []


def test_a_resolved_incident_has_nothing_left_to_acknowledge(paged, org):
    services.incident_cancel(incident=paged, actor=org.cora, reason="not_an_incident")
    assert reply(PAT, "ACK").status_code == 404


@pytest.mark.parametrize("text", ["yes", "ACKNOWLEDGE", "ACK INC-1 please", ""])
def test_anything_but_the_keyword_is_refused_with_the_keyword(paged, text):
    refused = reply(PAT, text)
    assert refused.status_code == 400
    assert '"ACK"' in refused.json()["error"]
    assert acknowledgements(paged) == []


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"from": 1, "text": "ACK"}'])
def test_a_malformed_body_is_a_400(paged, body):
    assert reply(PAT, "", body=body).status_code == 400


def test_without_a_secret_the_webhook_is_unavailable(paged, settings):
    settings.BEACON_SMS_INBOUND_SECRET = ""
    assert reply(PAT, "ACK", secret="").status_code == 503


def test_a_voice_page_says_how_to_acknowledge_and_a_text_from_that_phone_does(
    declare, org, sev1, settings, django_capture_on_commit_callbacks
):
    settings.BEACON_SMS_WEBHOOK_URL = "http://127.0.0.1:9/sms"
    settings.BEACON_PAGE_METHODS = ["voice"]
    effective_policy(org.cora, {sev1: ([org.comms], {"ack_chain": SEV1_ACK_CHAIN})})
    with django_capture_on_commit_callbacks(execute=True):
        incident = declare(actor=org.cora, commander=org.cora, severity=sev1)
    incident_escalate(incident_id=incident.pk, now=incident.declared_at)
    page = Delivery.objects.get(channel="voice", address=PAT)
    assert f"text ACK {incident.reference} to Beacon" in page.notification.content["voice"]["text"]
    assert reply(PAT, "ACK").status_code == 200
    (event,) = acknowledgements(incident)
    assert event.actor == org.pat
