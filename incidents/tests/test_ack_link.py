"""The acknowledgement link in a page: each person's own, shown on a phone without a session,
acknowledging only on the button's POST, once, before it expires."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from incidents import services
from incidents.ack_links import ack_link_token, ack_link_url
from incidents.models import TimelineKind
from incidents.services import announce
from incidents.services.escalation import incident_escalate
from incidents.tests.escalation_setup import SEV1_ACK_CHAIN, effective_policy, escalation_org
from notifications.models import Notification

pytestmark = pytest.mark.django_db
LINK = re.compile(r"https?://\S+/ack/([^/\s]+)/")


@pytest.fixture
def org():
    return escalation_org()


@pytest.fixture
def sev1_incident(declare, org, sev1, django_capture_on_commit_callbacks):
    effective_policy(org.cora, {sev1: ([org.comms], {"ack_chain": SEV1_ACK_CHAIN})})
    with django_capture_on_commit_callbacks(execute=True):
        incident = declare(actor=org.cora, commander=org.cora, severity=sev1)
    return incident


@pytest.fixture
def phone():
    """No session, and CSRF checked as a browser would be."""
    return Client(enforce_csrf_checks=True)


def paged_links(incident):
    """{person pk: the token in their SMS page}, after the declaration's stages are sent."""
    incident_escalate(incident_id=incident.pk, now=incident.declared_at)
    links = {}
    for page in Notification.objects.filter(incident=incident, event="page"):
        (person,) = page.people
        sms, email = page.content["sms"]["text"], page.content["email"]
        assert LINK.search(email["text"]).group(1) in email["html"]
        links[person] = LINK.search(sms).group(1)
    return links


def url(token):
    return f"/ack/{token}/"


def acknowledgements(incident):
    return list(incident.timeline.filter(kind=TimelineKind.ACKNOWLEDGED))


def test_each_paged_person_gets_a_link_of_their_own(sev1_incident, org):
    links = paged_links(sev1_incident)
    assert set(links) == {org.cora.pk, org.pat.pk}
    assert links[org.cora.pk] != links[org.pat.pk]


def test_opening_the_link_only_asks_and_the_button_acknowledges_as_that_person(
    sev1_incident, org, phone
):
    token = paged_links(sev1_incident)[org.pat.pk]
    asked = phone.get(url(token))
    assert asked.status_code == 200
    assert b"Acknowledge" in asked.content and b"Pat Lee" in asked.content
    assert acknowledgements(sev1_incident) == []  # a link previewer's GET does nothing

    done = phone.post(url(token))
    assert done.status_code == 200
    sev1_incident.refresh_from_db()
    assert sev1_incident.acknowledged_by == org.pat
    (event,) = acknowledgements(sev1_incident)
    assert (event.actor, event.after["via"]) == (org.pat, "link")
    assert event.message == "Acknowledged through the link in a page."


def test_a_link_is_used_once(sev1_incident, org, phone):
    links = paged_links(sev1_incident)
    assert phone.post(url(links[org.pat.pk])).status_code == 200
    again = phone.post(url(links[org.pat.pk]))
    other = phone.post(url(links[org.cora.pk]))
    assert (again.status_code, other.status_code) == (409, 409)
    assert b"is acknowledged" in again.content
    assert len(acknowledgements(sev1_incident)) == 1


def test_an_expired_link_is_refused_with_a_page(sev1_incident, org, phone, settings):
    settings.BEACON_ACK_LINK_MINUTES = 60
    token = paged_links(sev1_incident)[org.pat.pk]
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        refused = phone.post(url(token))
    assert refused.status_code == 400
    assert b"has expired" in refused.content
    assert acknowledgements(sev1_incident) == []


@pytest.mark.parametrize("tamper", [lambda t: t[:-2] + "xx", lambda t: "forged:" + t, str.upper])
def test_a_forged_link_is_refused_with_a_page(sev1_incident, org, phone, tamper):
    token = paged_links(sev1_incident)[org.pat.pk]
    refused = phone.post(url(tamper(token)))
    assert refused.status_code == 400
    assert acknowledgements(sev1_incident) == []


def test_the_link_survives_the_sms_length_limit(declare, org, sev1, settings):
    settings.BEACON_BASE_URL = "https://beacon.incidents.example-company.com"
    effective_policy(org.cora, {sev1: ([org.comms], {"ack_chain": SEV1_ACK_CHAIN})})
    incident = declare(actor=org.cora, commander=org.cora, severity=sev1, title="x" * 200)
    (page,) = announce.to_people(incident, "page", [org.pat], "y" * 300, channels=["sms"])
    text = page.content["sms"]["text"]
    assert len(text) <= settings.BEACON_SMS_MAX_LENGTH
    assert text.endswith(f"{ack_link_url(incident, org.pat)} or reply ACK")


def test_a_link_signed_for_someone_who_may_not_act_acknowledges_nothing(
    sev1_incident, stakeholder_user, phone
):
    refused = phone.post(url(ack_link_token(sev1_incident, stakeholder_user)))
    assert refused.status_code == 403
    assert b"no longer acknowledge" in refused.content
    assert sev1_incident.reference.encode() not in refused.content
    assert acknowledgements(sev1_incident) == []


def test_a_page_about_an_acknowledged_incident_has_no_link(sev1_incident, org):
    services.incident_acknowledge(incident=sev1_incident, actor=org.cora)
    sev1_incident.refresh_from_db()
    page = announce.to_people(sev1_incident, "page", [org.pat], "Still paged", channels=["sms"])
    assert page.content["sms"]["text"].startswith("Still paged")
    assert not LINK.search(page.content["sms"]["text"])
