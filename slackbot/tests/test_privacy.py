"""Private incidents leak nothing through Slack: the pickers offer only what the person may see
(no incident channel as a broadcast target, no private channel they are not in), a private
incident's channel is named after its reference, and no topic, purpose or message names its
title."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from incidents import services
from incidents.models import Incident, IncidentStatus
from incidents.tests import factories
from notifications.models import Notification
from response.models import CommunicationMethod, ResponsePlan, ResponsePlanStep
from response.services import response_plan_activate
from slackbot.tests.slack_requests import (
    SECRET,
    command,
    declare_errors,
    interact,
    submission,
    suggest,
)

pytestmark = pytest.mark.django_db

SECRET_TITLE = "Payroll database dumped by ex-employee"


@pytest.fixture
def slack(fake_slack, settings, commander_user, responder_user, stakeholder_user):
    settings.SLACK_SIGNING_SECRET = SECRET
    fake_slack.add_user("U0CORA", "cora", commander_user.email)
    fake_slack.add_user("U0RUDY", "rudy", responder_user.email)
    fake_slack.add_user("U0STELLA", "stella", stakeholder_user.email)
    fake_slack.add_channel("war-room")
    fake_slack.add_channel("sec-team", is_private=True, members=["U0CORA"])
    fake_slack.add_channel("hr-private", is_private=True, members=["U0RUDY"])
    return fake_slack


@pytest.fixture
def incidents(slack, declare, security_type, commander_user, responder_user, capture):
    """A public and a private incident, each with the channel its response plan made."""
    with capture(execute=True):
        public = declare(title="Search is slow", commander=commander_user)
        private = declare(
            title=SECRET_TITLE,
            incident_type=security_type,
            commander=commander_user,
            responder=responder_user,
        )
    public.refresh_from_db()
    private.refresh_from_db()
    return public, private


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


def broadcast_options(client, modal, user, typed=""):
    """What the broadcast picker offers (Slack asks Beacon as the person types)."""
    return suggest(client, f"{modal}.broadcast", typed, user=user)


def opened(client, slack, text, user, **where):
    assert command(client, text, user=user, **where).json() == {}
    return slack.last_view()


# --- the broadcast-channel pickers ------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "offered"),
    [
        ("U0STELLA", ["#incidents", "#beacon-drills", "#war-room"]),
        ("U0CORA", ["#incidents", "#beacon-drills", "#sec-team", "#war-room"]),
    ],
)
@pytest.mark.parametrize("modal", ["declare", "resolve"])
def test_the_broadcast_picker_offers_only_channels_the_person_may_use(
    client, slack, incidents, user, offered, modal
):
    view = opened(client, slack, modal, user)
    assert broadcast_options(client, modal, user) == offered
    channels = json.dumps(next(b for b in view["blocks"] if b["block_id"] == "broadcast"))
    for incident in incidents:
        assert incident.channel_name not in channels


def test_a_channel_named_like_an_incident_channel_is_not_offered(client, slack, declare):
    incident = declare()  # its plan has not run: Beacon has no channel id for it yet
    slack.add_channel(incident.channel_name)
    opened(client, slack, "declare", "U0CORA")
    assert f"#{incident.channel_name}" not in broadcast_options(client, "declare", "U0CORA")


def test_typing_in_the_picker_narrows_it(client, slack, incidents):
    assert broadcast_options(client, "declare", "U0CORA", "#WA") == ["#war-room"]


def test_the_picker_never_lists_the_workspace_and_asks_once_per_person(client, slack, incidents):
    before = len(slack.calls())
    opened(client, slack, "declare", "U0CORA")
    broadcast_options(client, "declare", "U0CORA", "war")
    opened(client, slack, "declare", "U0CORA")
    methods = [(m, p.get("user")) for m, p in slack.calls()[before:]]
    assert not [m for m, _user in methods if m == "conversations.list"]
    # the bot's memberships once (the cache was cold), the person's private channels once
    assert [u for m, u in methods if m == "users.conversations"] == [None, "U0CORA"]


def test_without_private_candidates_slack_is_not_asked_for_membership(
    client, fake_slack, settings, commander_user
):
    settings.SLACK_SIGNING_SECRET = SECRET
    fake_slack.add_user("U0CORA", "cora", commander_user.email)
    opened(client, fake_slack, "declare", "U0CORA")
    assert not [p for _m, p in fake_slack.calls("users.conversations") if p.get("user")]


# --- a chosen broadcast channel is checked again on submission --------------------------------


def broadcast_error(client, slack, answers, user, channel_id):
    view = opened(client, slack, "declare", user)
    return declare_errors(
        client, slack, submission(view, answers(broadcast=channel_id), user=user)
    )["broadcast"]


def test_an_incident_channel_is_refused_as_the_broadcast_channel(client, slack, incidents, answers):
    public, private = incidents
    error = broadcast_error(client, slack, answers, "U0CORA", public.slack_channel_id)
    assert error == (
        f"#{public.channel_name} is an incident channel; choose the channel where the "
        "organisation hears about incidents."
    )
    error = broadcast_error(client, slack, answers, "U0CORA", private.slack_channel_id)
    assert "is an incident channel" in error and SECRET_TITLE not in error
    assert Incident.objects.count() == 2


def test_a_private_channel_the_person_is_not_in_is_refused_without_its_name(
    client, slack, incidents, answers
):
    _public, private = incidents
    for channel in (private.slack_channel_id, slack.channel_by_name("sec-team").id):
        error = broadcast_error(client, slack, answers, "U0STELLA", channel)
        assert error == "You are not in this private channel: choose one you are in."
    assert Incident.objects.count() == 2


def test_a_private_channel_the_person_is_in_is_accepted(client, slack, answers, capture):
    view = opened(client, slack, "declare", "U0CORA")
    sec_team = slack.channel_by_name("sec-team").id
    with capture(execute=True):
        body = interact(client, submission(view, answers(broadcast=sec_team))).json()
    assert body["response_action"] == "update", body
    assert Incident.objects.get().broadcast_channel == sec_team


def test_resolve_refuses_an_incident_channel_as_the_broadcast_channel(
    client, slack, incidents, commander_user
):
    public, private = incidents
    for criterion in services.unmet_required_criteria(public):
        services.incident_check_exit_criterion(
            incident=public, actor=commander_user, criterion_id=criterion.pk
        )
    view = opened(client, slack, "resolve", "U0CORA", channel=public.slack_channel_id)
    answers = {"resolution": "Rolled back.", "broadcast": private.slack_channel_id}
    body = interact(client, submission(view, answers)).json()
    assert "is an incident channel" in body["errors"]["broadcast"]
    public.refresh_from_db()
    assert public.status == IncidentStatus.DECLARED and public.broadcast_channel == ""


# --- the services refuse an incident channel, for every front door ----------------------------


@pytest.mark.parametrize("how", ["id", "name", "#name"])
def test_declaring_refuses_an_incident_channel_as_broadcast_channel(declare, incidents, how):
    _public, private = incidents
    channel = {
        "id": private.slack_channel_id,
        "name": private.channel_name,
        "#name": f"#{private.channel_name}",
    }[how]
    with pytest.raises(ValidationError) as refused:
        declare(title="Another", broadcast_channel=channel)
    assert "is an incident channel" in refused.value.message_dict["broadcast_channel"][0]
    assert private.channel_name not in str(refused.value)


def test_editing_refuses_an_incident_channel_as_broadcast_channel(
    incidents, commander_user, declare
):
    public, _private = incidents
    other = declare(title="Another")
    with pytest.raises(ValidationError) as refused:
        services.incident_update_details(
            incident=other, actor=commander_user, broadcast_channel=public.channel_name
        )
    assert "broadcast_channel" in refused.value.message_dict
    with pytest.raises(ValidationError):
        services.incident_update_details(
            incident=other, actor=commander_user, broadcast_channel=other.channel_name
        )
    other.refresh_from_db()
    assert other.broadcast_channel == ""


def test_the_portal_shows_the_refusal_on_the_field(client, incidents, commander_user, outage, sev2):
    public, _private = incidents
    client.force_login(commander_user)
    response = client.post(
        reverse("portal:declare"),
        {
            "title": "Another",
            "incident_type": outage.pk,
            "severity": sev2.pk,
            "affects_customers": "on",
            "unplanned": "on",
            "exceeds_one_hour": "on",
            "broadcast_channel": public.channel_name,
        },
    )
    assert response.status_code == 400
    assert "is an incident channel" in str(response.context["form"].errors["broadcast_channel"])


# --- the incident pickers -----------------------------------------------------------------------


@pytest.mark.parametrize("modal", ["update", "resolve"])
def test_a_private_incident_is_not_offered_to_someone_without_access(
    client, slack, incidents, modal
):
    public, private = incidents
    for user, expected in [("U0STELLA", [public]), ("U0CORA", [public, private])]:
        view = opened(client, slack, modal, user)
        block = next(b for b in view["blocks"] if b["block_id"] == "incident")
        values = {o["value"] for o in block["element"]["options"]}
        assert values == {str(i.pk) for i in expected}
        if user == "U0STELLA":
            assert SECRET_TITLE not in json.dumps(view)


# --- how a private incident is named outside Beacon --------------------------------------------


def test_a_private_incidents_channel_is_named_after_its_reference(declare, security_type):
    private = declare(title=SECRET_TITLE, incident_type=security_type)
    day = f"{timezone.now():%Y%m%d}"
    assert private.channel_name == f"inc_{private.reference.lower()}_{day}"
    chosen = declare(title=SECRET_TITLE, is_private=True, name="breach")
    assert chosen.channel_name == f"inc_breach_{day}"
    public = declare(title="Search is slow")
    assert public.channel_name == f"inc_search-is-slow_{day}"


def test_a_private_channels_topic_and_purpose_do_not_name_its_title(slack, incidents):
    public, private = incidents
    channel = slack.channels[private.slack_channel_id]
    assert channel.topic.startswith(f"SEV2 · {private.reference} (private incident) · ")
    assert channel.purpose == channel.topic
    assert SECRET_TITLE not in channel.topic + channel.purpose
    assert "Search is slow" in slack.channels[public.slack_channel_id].topic


@pytest.fixture
def security_plan(security_type):
    """Security incidents are told to a shared channel, then by email; the plan pages."""
    function = factories.CriticalFunctionFactory(name="Security lead", slug="security-lead")
    plan = ResponsePlan.objects.create(name="Security", incident_type=security_type)
    for rank, (channel, target, address) in enumerate(
        [("slack", "fixed", "#security-all"), ("email", "each_person", "")]
    ):
        CommunicationMethod.objects.create(
            plan=plan,
            audience="responders",
            rank=rank,
            channel=channel,
            target=target,
            address=address,
        )
    for position, (action, extra) in enumerate(
        [("create_channel", {}), ("broadcast", {}), ("page_function", {"function": function})]
    ):
        ResponsePlanStep.objects.create(plan=plan, position=position, action=action, **extra)
    response_plan_activate(plan=plan)
    return function


def test_no_message_about_a_private_incident_names_its_title(
    slack, declare, security_type, security_plan, commander_user, responder_user, sev1, capture
):
    slack.add_channel("security-all")
    factories.DelegationFactory(function=security_plan, user=responder_user, rank=1)
    with capture(execute=True):  # the response plan runs
        private = declare(title=SECRET_TITLE, incident_type=security_type, commander=commander_user)
    with capture(execute=True):
        services.incident_post_update(incident=private, actor=commander_user, message="Rotating.")
        services.incident_change_severity(incident=private, actor=commander_user, severity=sev1)
        for criterion in services.unmet_required_criteria(private):
            services.incident_check_exit_criterion(
                incident=private, actor=commander_user, criterion_id=criterion.pk
            )
        services.incident_resolve(incident=private, actor=commander_user, resolution="Done.")
        services.incident_close(incident=private, actor=commander_user)
    notifications = Notification.objects.filter(incident=private)
    events = set(notifications.values_list("event", flat=True))
    assert {"declared", "page", "update_posted", "severity_changed", "resolved", "closed"} <= events
    for notification in notifications:
        assert SECRET_TITLE not in notification.subject + json.dumps(notification.content)
        assert notification.content["data"]["title"] == f"{private.reference} (private incident)"
    shared = [m.text for m in slack.messages("security-all")]
    assert shared and not any(SECRET_TITLE in text for text in shared)


def test_a_public_incidents_messages_name_its_title(slack, declare, capture):
    with capture(execute=True):
        public = declare(title="Search is slow")
    [declared] = Notification.objects.filter(incident=public, event="declared")[:1]
    assert "Search is slow" in declared.subject
    assert declared.content["data"]["title"] == "Search is slow"
