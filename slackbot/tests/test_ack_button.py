"""The "Acknowledge" button of a page in Slack: sent with the page through the real adapter to
the fake Slack, clicked through the signed interactivity endpoint."""

import pytest

from incidents.models import TimelineKind
from incidents.services.escalation import incident_escalate
from incidents.tests.escalation_setup import SEV1_ACK_CHAIN, effective_policy, escalation_org
from notifications.models import Delivery
from notifications.services.sending import deliveries_send
from slackbot.tests.slack_requests import SECRET, interact

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(fake_slack, settings):
    settings.SLACK_SIGNING_SECRET = SECRET
    settings.BEACON_PAGE_METHODS = ["slack"]
    org = escalation_org()
    fake_slack.add_user("U0PAT", "pat", org.pat.email)
    fake_slack.add_user("U0ERIN", "erin", org.erin.email)  # a stakeholder: may only watch
    return org


@pytest.fixture
def paged(declare, org, sev1, django_capture_on_commit_callbacks):
    """A SEV1 whose declaration stages paged Cora and Pat in Slack."""
    effective_policy(org.cora, {sev1: ([org.comms], {"ack_chain": SEV1_ACK_CHAIN})})
    with django_capture_on_commit_callbacks(execute=True):
        incident = declare(actor=org.cora, commander=org.cora, severity=sev1)
    incident_escalate(incident_id=incident.pk, now=incident.declared_at)
    pages = Delivery.objects.filter(notification__incident=incident, notification__event="page")
    deliveries_send(list(pages.values_list("pk", flat=True)))
    return incident


def pats_page(slack):
    """(the direct-message channel, the button) of the page Pat got (Cora is not in Slack)."""
    (page,) = [m for m in slack.messages() if m.blocks]
    assert page.text.startswith("*You are paged for")
    (actions,) = [b for b in page.blocks if b["type"] == "actions"]
    (button,) = actions["elements"]
    return page.channel, button


def click(client, channel, button, user_id):
    action = {"action_id": button["action_id"], "value": button["value"]}
    payload = {
        "type": "block_actions",
        "user": {"id": user_id},
        "channel": {"id": channel},
        "actions": [action],
    }
    return interact(client, payload)


def told(slack, channel, user_id):
    return [m.text for m in slack.messages(channel) if m.ephemeral_to == user_id]


def acknowledgements(incident):
    return list(incident.timeline.filter(kind=TimelineKind.ACKNOWLEDGED))


def test_the_page_button_acknowledges_as_the_linked_member(client, fake_slack, paged, org):
    channel, button = pats_page(fake_slack)
    assert button["text"]["text"] == "Acknowledge"
    assert click(client, channel, button, "U0PAT").status_code == 200
    (event,) = acknowledgements(paged)
    assert (event.actor, event.after["via"]) == (org.pat, "slack_button")
    assert told(fake_slack, channel, "U0PAT") == [f"You acknowledged {paged.reference}."]

    click(client, channel, button, "U0PAT")
    assert "already acknowledged" in told(fake_slack, channel, "U0PAT")[-1]
    assert len(acknowledgements(paged)) == 1


def test_a_member_who_may_not_act_is_told_so(client, fake_slack, paged):
    channel, button = pats_page(fake_slack)
    fake_slack.channels[channel].members.add("U0ERIN")  # the page, forwarded to a group
    click(client, channel, button, "U0ERIN")
    assert acknowledgements(paged) == []
    assert told(fake_slack, channel, "U0ERIN") == [
        f"You are not allowed to acknowledge incident {paged.reference}."
    ]


def test_a_french_member_is_answered_in_french(client, fake_slack, paged, org):
    fake_slack.add_user("U0ERIN", "erin", org.erin.email, locale="fr-FR")
    channel, button = pats_page(fake_slack)
    fake_slack.channels[channel].members.add("U0ERIN")
    click(client, channel, button, "U0ERIN")
    assert told(fake_slack, channel, "U0ERIN") == [
        f"Vous n'êtes pas autorisé à acquitter l'incident {paged.reference}."
    ]


@pytest.mark.parametrize("value", ["999999", "²", "1" * 30, ""])
def test_a_button_naming_no_incident_acknowledges_nothing(client, fake_slack, paged, value):
    channel, button = pats_page(fake_slack)
    assert click(client, channel, {**button, "value": value}, "U0PAT").status_code == 200
    assert acknowledgements(paged) == []
    assert told(fake_slack, channel, "U0PAT") == ["This incident no longer exists."]
