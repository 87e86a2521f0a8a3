"""Declaring from Slack: signed requests through the Django test client, the Slack Web API a
local fake driven by the real slack_sdk client."""

import json
import time

import pytest
from django.core import mail

from incidents.models import Incident, IncidentSource, PlanStepState
from incidents.tests import factories
from slackbot.models import SlackDeclaration
from slackbot.tests.slack_requests import (
    SECRET,
    command,
    declare_errors,
    interact,
    submission,
    suggest,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def slack(fake_slack, settings, commander_user, responder_user):
    settings.SLACK_SIGNING_SECRET = SECRET
    fake_slack.add_user("U0CORA", "cora", commander_user.email)
    fake_slack.add_user("U0RUDY", "rudy", responder_user.email)
    fake_slack.add_user("U0NOBODY", "nobody", "nobody@example.com")
    fake_slack.add_user("U0ANNE", "anne", "anne@example.com", locale="fr-FR")
    return fake_slack


def open_declare(client, slack):
    response = command(client, "declare")
    assert response.status_code == 200
    return slack.last_view()


def test_declare_opens_a_modal_prefilled_from_beacon(client, slack, outage, sev2):
    view = open_declare(client, slack)
    blocks = {b["block_id"]: b for b in view["blocks"]}
    broadcast = blocks["broadcast"]["element"]
    assert broadcast["type"] == "external_select"
    assert broadcast["initial_option"]["text"]["text"] == "#incidents"
    assert suggest(client, "declare.broadcast") == ["#incidents", "#beacon-drills"]
    assert [o["text"]["text"] for o in blocks["severity"]["element"]["options"]] == ["SEV2"]
    assert [o["value"] for o in blocks["incident_type"]["element"]["options"]] == [str(outage.pk)]
    assert len(blocks["definition"]["element"]["options"]) == 4


def test_the_name_is_checked_live(client, slack):
    view = open_declare(client, slack)
    action = {"action_id": "declare.name", "value": "checkout-502"}
    interact(
        client,
        {"type": "block_actions", "user": {"id": "U0CORA"}, "actions": [action], "view": view},
    )
    name = next(b for b in slack.last_view()["blocks"] if b["block_id"] == "name")
    assert "#inc_checkout-502_" in name["hint"]["text"]


def test_submitting_declares_and_slack_does_the_rest(
    client, slack, answers, django_capture_on_commit_callbacks
):
    view = open_declare(client, slack)
    with django_capture_on_commit_callbacks(execute=True):
        response = interact(client, submission(view, answers()))
    assert response.json()["response_action"] == "update"
    incident = Incident.objects.get()
    assert incident.source == IncidentSource.SLACK
    assert incident.channel_name.startswith("inc_checkout-502_")
    assert incident.commander.username == "cora" and incident.responder.username == "rudy"
    assert incident.broadcast_channel == slack.channel_by_name("incidents").id
    channel = slack.channel_by_name(incident.channel_name)
    assert channel and {"U0CORA", "U0RUDY"} <= channel.members
    assert f"<#{channel.id}|{incident.channel_name}>" in slack.messages("incidents")[0].text
    assert incident.plan_steps.get(action="broadcast").state == PlanStepState.DONE


def test_a_replayed_submission_declares_once(
    client, slack, answers, django_capture_on_commit_callbacks
):
    view = open_declare(client, slack)
    payload = submission(view, answers(), view_id=view["id"])
    with django_capture_on_commit_callbacks(execute=True):
        first = interact(client, payload)
    with django_capture_on_commit_callbacks(execute=True):
        again = interact(client, payload)
    incident = Incident.objects.get()
    assert "Declaring *Checkout is failing*" in json.dumps(first.json())
    assert incident.reference in json.dumps(again.json())  # answered from the declared row
    assert SlackDeclaration.objects.get().incident == incident


@pytest.mark.parametrize(
    ("changes", "block", "message"),
    [
        ({"name": "Checkout 502!"}, "name", "lowercase letters"),
        ({"commander": "U0NOBODY"}, "commander", "no Beacon account"),
        ({"definition": ["unplanned"]}, "definition", "does not meet the definition"),
        ({"title": " "}, "title", "Give the incident a title"),
    ],
)
def test_bad_input_is_shown_in_the_modal(client, slack, answers, changes, block, message):
    view = open_declare(client, slack)
    errors = declare_errors(client, slack, submission(view, answers(**changes)))
    assert message in errors[block]
    assert not Incident.objects.exists()


@pytest.mark.parametrize(
    ("changes", "block"),
    [
        ({"name": "Checkout 502!"}, "name"),
        ({"definition": []}, "definition"),
        ({"title": " "}, "title"),
    ],
)
def test_the_answers_own_mistakes_are_refused_before_anything_is_stored(
    client, slack, answers, changes, block
):
    view = open_declare(client, slack)
    body = interact(client, submission(view, answers(**changes))).json()
    assert body["response_action"] == "errors" and set(body["errors"]) == {block}
    assert not SlackDeclaration.objects.exists()


def test_a_taken_channel_name_is_refused(client, slack, answers):
    from slackbot.declare import todays_channel

    slack.add_channel(todays_channel("checkout-502"))
    view = open_declare(client, slack)
    assert "already exists" in declare_errors(client, slack, submission(view, answers()))["name"]


@pytest.mark.parametrize(
    ("archived", "member", "message"),
    [(True, True, "is archived"), (False, False, "Beacon is not in #war-room")],
)
def test_the_broadcast_channel_must_be_usable(client, slack, answers, archived, member, message):
    war_room = slack.add_channel("war-room", is_archived=archived, bot_member=member)
    view = open_declare(client, slack)
    errors = declare_errors(client, slack, submission(view, answers(broadcast=war_room)))
    assert message in errors["broadcast"]


def test_someone_who_may_not_declare_is_told_in_the_modal(client, slack, answers):
    viewer = factories.UserFactory(username="vic", email="vic@example.com")
    slack.add_user("U0VIC", "vic", viewer.email)
    view = open_declare(client, slack)
    payload = submission(view, answers(), user="U0VIC", view_id="VVIC1")
    assert declare_errors(client, slack, payload) == {}
    assert "not allowed to declare" in json.dumps(slack.views["VVIC1"])
    assert not Incident.objects.exists()


def test_an_unlinked_user_is_told_how_to_link(client, slack):
    body = command(client, "declare", user="U0NOBODY").json()
    assert body["response_type"] == "ephemeral"
    assert "not linked to a Beacon user" in body["text"] and "/incident link" in body["text"]


@pytest.mark.parametrize(
    "signing",
    [{"secret": "wrong"}, {"timestamp": int(time.time()) - 6 * 60}],
    ids=["bad signature", "stale timestamp"],
)
def test_unsigned_or_stale_requests_are_refused(client, slack, signing):
    assert command(client, "help", **signing).status_code == 401
    assert not mail.outbox


def test_unknown_subcommand_shows_help(client, slack):
    body = command(client, "dance").json()
    assert body["response_type"] == "ephemeral" and "/incident declare" in body["text"]


def test_url_verification(client, slack):
    from slackbot.tests.slack_requests import signed_headers

    body = json.dumps({"type": "url_verification", "challenge": "abc"})
    response = client.post(
        "/slack/events/", body, content_type="application/json", **signed_headers(body)
    )
    assert response.json() == {"challenge": "abc"}


def test_commander_and_responder_default_to_the_delegates_on_duty(
    client, slack, commander_user, responder_user
):
    from people.models import Delegation, UserPreference

    for field, user, slack_id in [
        ("commander", commander_user, "U0CORA"),
        ("responder", responder_user, "U0RUDY"),
    ]:
        function = factories.CriticalFunctionFactory(
            name=field.title(), slug=field, incident_field=field
        )
        Delegation.objects.create(function=function, user=user, rank=1)
        UserPreference.objects.update_or_create(user=user, defaults={"slack_user_id": slack_id})
    blocks = {b["block_id"]: b for b in open_declare(client, slack)["blocks"]}
    assert blocks["commander"]["element"]["initial_user"] == "U0CORA"
    assert blocks["responder"]["element"]["initial_user"] == "U0RUDY"


def test_slack_down_when_opening_the_modal_points_to_the_portal(client, slack):
    slack.fail_next("views.open", error="internal_error")
    body = command(client, "declare").json()
    assert body["response_type"] == "ephemeral" and "portal" in body["text"]


def test_a_french_slack_user_is_answered_in_french(client, slack):
    factories.commander(username="anne", email="anne@example.com")
    body = command(client, "aide", user="U0ANNE").json()
    assert body["text"].startswith("*Beacon* — les incidents depuis Slack")
    command(client, "declare", user="U0ANNE")
    titles = [b["label"]["text"] for b in slack.last_view()["blocks"] if b["type"] == "input"]
    assert "Canal de diffusion" in titles and "Est-ce un incident ?" in titles


def test_an_unlinked_french_user_is_told_in_french(client, slack):
    slack.add_user("U0JEAN", "jean", "jean@example.com", locale="fr-CA")
    body = command(client, "declare", user="U0JEAN").json()
    assert "n'est lié à aucun utilisateur Beacon" in body["text"]
