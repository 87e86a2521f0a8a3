"""The incident channel's chores, from a declaration made in Slack (signed requests, the real
slack_sdk client against the local fake): taken names get a suffix and are reported, people
are invited by their linked member id first, invitees without a Beacon account join as
Slack-only participants, the resolution links the channel."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.test import Client
from rest_framework.test import APIClient

from incidents import services
from incidents.models import Incident, PlanStepState, TimelineKind
from incidents.services.incident_channel import channel_candidates
from incidents.tests import factories
from notifications.models import Notification
from slackbot.declare import todays_channel
from slackbot.tests.slack_requests import SECRET, command, interact, submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def slack(fake_slack, settings, commander_user, responder_user):
    settings.SLACK_SIGNING_SECRET = SECRET
    fake_slack.add_user("U0CORA", "cora", commander_user.email)
    fake_slack.add_user("U0RUDY", "rudy", responder_user.email)
    return fake_slack


@pytest.fixture
def declare_in_slack(client, slack, answers, django_capture_on_commit_callbacks):
    """Declare through the modal; the response plan runs after commit."""

    def _declare(**changes):
        assert command(client, "declare").status_code == 200
        with django_capture_on_commit_callbacks(execute=True):
            body = interact(client, submission(slack.last_view(), answers(**changes))).json()
        assert body["response_action"] == "update", body
        return Incident.objects.get()

    return _declare


def step(incident, action):
    return incident.plan_steps.get(action=action)


def test_a_name_taken_by_an_archived_channel_gets_a_suffix(slack, declare_in_slack):
    wanted = todays_channel("checkout-502")
    slack.add_channel(wanted, is_archived=True)
    incident = declare_in_slack()
    created = slack.channel_by_name(f"{wanted}_2")
    assert created is not None and not created.is_archived
    assert (incident.channel_name, incident.slack_channel_id) == (created.name, created.id)
    create = step(incident, "create_channel")
    assert create.state == PlanStepState.DONE
    assert f"#{wanted}_2" in create.detail and f"#{wanted} was taken" in create.detail
    assert incident.timeline.filter(
        kind=TimelineKind.PLAN_STEP, message__contains=f"#{wanted} was taken"
    ).exists()
    assert {"U0CORA", "U0RUDY"} <= created.members
    (broadcast,) = slack.messages("incidents")
    assert f"<#{created.id}|{created.name}>" in broadcast.text


def test_the_commander_is_told_the_real_channel(slack, declare_in_slack, commander_user):
    wanted = todays_channel("checkout-502")
    slack.add_channel(wanted, is_archived=True)
    incident = declare_in_slack()
    told = Notification.objects.get(event="plan_message", audience="people")
    assert told.people == [commander_user.pk]
    assert f"#{wanted}_2" in told.subject
    dm = [m for m in slack.messages() if m.channel.startswith("D") and "was taken" in m.text]
    assert dm and f"#{incident.channel_name}" in dm[0].text


def test_a_hidden_private_channel_and_an_archived_suffix_are_both_skipped(slack, declare_in_slack):
    wanted = todays_channel("checkout-502")
    slack.add_channel(wanted, is_private=True, bot_member=False)
    slack.add_channel(f"{wanted}_2", is_archived=True)
    incident = declare_in_slack()
    assert incident.channel_name == f"{wanted}_3"
    assert incident.slack_channel_id == slack.channel_by_name(f"{wanted}_3").id


def test_a_suffixed_channel_made_before_a_crash_is_taken_as_ours(declare, fake_slack):
    from incidents.services.response_plan import response_plan_run

    incident = declare()  # its plan has not run (no commit in this test)
    fake_slack.add_channel(incident.channel_name, is_archived=True)
    ours = fake_slack.add_channel(f"{incident.channel_name}_2")
    response_plan_run(incident.pk)
    incident.refresh_from_db()
    assert incident.slack_channel_id == ours
    tried = [p["name"] for _m, p in fake_slack.calls("conversations.create")]
    assert tried == [incident.channel_name.removesuffix("_2"), incident.channel_name]


def test_another_incidents_channel_is_never_taken_as_ours(declare, fake_slack):
    from incidents.services.response_plan import response_plan_run

    first = declare(name="db")
    fake_slack.add_channel(first.channel_name, is_archived=True)
    response_plan_run(first.pk)
    first.refresh_from_db()
    assert first.channel_name.endswith("_2")
    Incident.objects.filter(pk=first.pk).update(channel_name=f"{first.channel_name}-old")
    second = declare(name="db", title="Database again")  # Beacon's name is free again
    response_plan_run(second.pk)
    second.refresh_from_db()
    assert second.slack_channel_id not in ("", first.slack_channel_id)
    assert second.channel_name == f"{first.channel_name.removesuffix('_2')}_3"


def test_suffixes_stay_within_slacks_80_characters():
    names = list(channel_candidates("x" * 80))
    assert names[1] == "x" * 78 + "_2" and names[-1] == "x" * 77 + "_20"
    assert all(len(name) <= 80 for name in names)


def test_a_person_linked_by_member_id_is_invited_by_that_id(
    slack, declare_in_slack, commander_user, settings
):
    # Slack knows Cora by another address than Beacon does; the proven link says who she is.
    slack.users["U0CORA"].email = "cora@slack.example.com"
    services.slack_identity_link(
        user=commander_user, slack_user_id="U0CORA", method="admin", actor=commander_user
    )
    incident = declare_in_slack()
    channel = slack.channels[incident.slack_channel_id]
    assert {"U0CORA", "U0RUDY"} <= channel.members
    invite = step(incident, "invite_people")
    assert invite.state == PlanStepState.DONE and "Not found" not in invite.detail
    looked_up = [p["email"] for _m, p in slack.calls("users.lookupByEmail")]
    assert commander_user.email not in looked_up


def test_the_resolution_broadcast_links_the_incident_channel(
    slack, declare_in_slack, commander_user, django_capture_on_commit_callbacks
):
    quick = factories.IncidentTypeFactory(name="Glitch", slug="glitch")
    incident = declare_in_slack(incident_type=quick.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_resolve(incident=incident, actor=commander_user, resolution="Fixed.")
    resolved = [m for m in slack.messages("incidents") if "resolved" in m.text]
    assert resolved and f"<#{incident.slack_channel_id}|{incident.channel_name}>" in (
        resolved[0].text
    )


# Slack-only participants


@pytest.fixture
def nina(slack):
    """A Slack member with no Beacon account."""
    return slack.add_user("U0NINA", "Nina Contractor", "nina@contractor.example.com")


def test_an_invitee_without_a_beacon_account_joins_as_a_slack_only_participant(
    slack, declare_in_slack, nina, commander_user
):
    incident = declare_in_slack(invitees=[nina, "U0RUDY"])
    assert list(incident.slack_participants.values_list("slack_user_id", "name")) == [
        (nina, "Nina Contractor")
    ]
    assert [u.username for u in incident.invitees.all()] == ["rudy"]
    assert nina in slack.channels[incident.slack_channel_id].members
    event = incident.timeline.get(kind=TimelineKind.SLACK_PARTICIPANTS)
    assert "without a Beacon account: Nina Contractor" in event.message
    assert event.actor == commander_user
    # No account, so no access: nothing was created for her.
    assert not get_user_model().objects.filter(email="nina@contractor.example.com").exists()


@pytest.mark.parametrize("private", [False, True], ids=["public", "private"])
def test_slack_only_participants_are_shown_to_those_who_may_see_the_incident(
    slack, declare_in_slack, nina, commander_user, stakeholder_user, private
):
    changes = {"private": ["yes"]} if private else {}
    incident = declare_in_slack(invitees=[nina], **changes)
    api, portal = APIClient(), Client()
    api.force_authenticate(commander_user)
    portal.force_login(commander_user)
    body = api.get(f"/api/v1/incidents/{incident.reference}/").json()
    assert [p["name"] for p in body["slack_participants"]] == ["Nina Contractor"]
    assert "Nina Contractor" in portal.get(f"/incidents/{incident.reference}/").text
    api.force_authenticate(stakeholder_user)
    portal.force_login(stakeholder_user)
    seen_api = api.get(f"/api/v1/incidents/{incident.reference}/")
    seen_page = portal.get(f"/incidents/{incident.reference}/")
    if private:
        assert seen_api.status_code == seen_page.status_code == 404
        assert "Nina" not in seen_api.text + seen_page.text
    else:
        assert [p["name"] for p in seen_api.json()["slack_participants"]] == ["Nina Contractor"]


def test_the_invitee_picker_says_who_may_be_picked(client, slack):
    command(client, "declare")
    (invitees,) = [b for b in slack.last_view()["blocks"] if b["block_id"] == "invitees"]
    assert invitees["element"]["type"] == "multi_users_select"
    assert "without a Beacon account join the channel only" in invitees["hint"]["text"]


def test_a_bad_slack_member_id_is_a_field_error(declare):
    with pytest.raises(ValidationError) as error:
        declare(slack_participants=[("nobody", "Nobody")])
    assert "not a Slack member id" in str(error.value.message_dict["slack_participants"])


def test_the_broadcast_waits_for_a_channel_slack_rate_limits_then_links_the_real_one(
    slack, declare_in_slack, settings
):
    settings.BEACON_DELIVERY_BACKOFF_SECONDS = 0  # the retry runs at once, in-process
    wanted = todays_channel("checkout-502")
    slack.add_channel(wanted, is_archived=True)
    slack.fail_next("conversations.create", retry_after=0)
    incident = declare_in_slack()
    assert incident.channel_name == f"{wanted}_2"
    (broadcast,) = slack.messages("incidents")
    assert f"<#{incident.slack_channel_id}|{incident.channel_name}>" in broadcast.text
    assert step(incident, "broadcast").state == PlanStepState.DONE
