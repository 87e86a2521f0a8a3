"""The subcommands beyond declare (update, resolve, status, role, criteria): signed requests
through the Django test client, the Slack Web API a local fake."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import Incident, IncidentStatus, RoleAssignment, StatusUpdate
from incidents.tests import factories
from notifications.models import Delivery, DeliveryStatus
from slackbot.tests.slack_requests import SECRET, command, event, interact, submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def slack(fake_slack, settings, commander_user, responder_user, stakeholder_user):
    settings.SLACK_SIGNING_SECRET = SECRET
    fake_slack.add_user("U0CORA", "cora", commander_user.email)
    fake_slack.add_user("U0RUDY", "rudy", responder_user.email)
    fake_slack.add_user("U0STELLA", "stella", stakeholder_user.email)
    fake_slack.add_user("U0NOBODY", "nobody", "nobody@example.com")
    return fake_slack


@pytest.fixture
def incident(declare, slack, commander_user, responder_user, django_capture_on_commit_callbacks):
    """Declared with its Slack channel created by the response plan; Stella is in it too."""
    with django_capture_on_commit_callbacks(execute=True):
        incident = declare(commander=commander_user, responder=responder_user)
    incident.refresh_from_db()
    slack.channels[incident.slack_channel_id].members.add("U0STELLA")
    return incident


def channel_of(incident):
    return incident.slack_channel_id


def meet_required_criteria(incident, actor):
    for criterion in services.unmet_required_criteria(incident):
        services.incident_check_exit_criterion(
            incident=incident, actor=actor, criterion_id=criterion.pk
        )


def blocks_of(view):
    return {b["block_id"]: b for b in view["blocks"]}


def open_modal(client, slack, text, **where):
    response = command(client, text, **where)
    assert response.json() == {}
    return slack.last_view()


def errors_of(response):
    body = response.json()
    assert body["response_action"] == "errors", body
    return body["errors"]


# update


def test_update_in_the_incident_channel_posts_it(client, slack, incident):
    Incident.objects.filter(pk=incident.pk).update(
        next_update_due=timezone.now() - timedelta(minutes=5)
    )
    view = open_modal(client, slack, "update", channel=channel_of(incident))
    incident_block = blocks_of(view)["incident"]["element"]
    assert incident_block["initial_option"]["value"] == str(incident.pk)
    answers = {"status": IncidentStatus.IDENTIFIED, "message": "Bad deploy found; rolling back."}
    response = interact(client, submission(view, answers))
    assert response.json()["response_action"] == "update"
    update = StatusUpdate.objects.get(incident=incident)
    assert (
        update.message == "Bad deploy found; rolling back." and update.posted_by.username == "cora"
    )
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.IDENTIFIED
    assert incident.next_update_due > timezone.now()


def test_update_elsewhere_asks_which_incident(client, slack, incident):
    view = open_modal(client, slack, "update")
    element = blocks_of(view)["incident"]["element"]
    assert "initial_option" not in element
    assert [o["value"] for o in element["options"]] == [str(incident.pk)]
    assert (
        "Choose the incident"
        in errors_of(interact(client, submission(view, {"message": "x"})))["incident"]
    )
    response = interact(client, submission(view, {"incident": incident.pk, "message": "Looking."}))
    assert response.json()["response_action"] == "update"
    assert StatusUpdate.objects.filter(incident=incident, status=IncidentStatus.DECLARED).exists()


def test_update_without_an_active_incident_says_so(client, slack):
    body = command(client, "update").json()
    assert "no active incident" in body["text"]


def test_an_empty_update_is_refused_in_the_modal(client, slack, incident):
    view = open_modal(client, slack, "update", channel=channel_of(incident))
    errors = errors_of(interact(client, submission(view, {"message": "  "})))
    assert "Write the status update" in errors["message"]
    assert not StatusUpdate.objects.exists()


def test_a_refused_status_change_is_shown_in_the_modal(client, slack, incident):
    view = open_modal(client, slack, "update", channel=channel_of(incident))
    answers = {"status": IncidentStatus.RESOLVED, "message": "Fixed, I think."}  # forged
    errors = errors_of(interact(client, submission(view, answers)))
    assert "Use resolve to set the status to resolved" in errors["status"]
    assert not StatusUpdate.objects.exists()


def test_an_update_to_an_incident_resolved_meanwhile_is_refused(
    client, slack, incident, commander_user
):
    view = open_modal(client, slack, "update", channel=channel_of(incident))
    meet_required_criteria(incident, commander_user)
    services.incident_resolve(incident=incident, actor=commander_user, resolution="Fixed.")
    answers = {"status": IncidentStatus.MONITORING, "message": "Watching."}
    errors = errors_of(interact(client, submission(view, answers)))
    assert "is resolved: it can no longer receive status updates" in errors["incident"]


def test_a_replayed_update_posts_once(client, slack, incident):
    view = open_modal(client, slack, "update", channel=channel_of(incident))
    payload = submission(view, {"message": "Rolling back."})
    first, again = interact(client, payload), interact(client, payload)
    assert first.json() == again.json()
    assert StatusUpdate.objects.count() == 1


# resolve


def resolve_answers(**changes):
    return {"resolution": "Rolled back the deploy.", "archive": ["yes"], **changes}


def test_resolve_resolves_and_archives_the_channel_after_commit(
    client, slack, incident, commander_user, django_capture_on_commit_callbacks
):
    meet_required_criteria(incident, commander_user)
    view = open_modal(client, slack, "resolve", channel=channel_of(incident))
    blocks = blocks_of(view)
    assert blocks["broadcast"]["element"]["initial_option"]["text"]["text"] == "#incidents"
    assert blocks["incident"]["element"]["initial_option"]["value"] == str(incident.pk)
    with django_capture_on_commit_callbacks(execute=True):
        response = interact(client, submission(view, resolve_answers()))
    assert response.json()["response_action"] == "update"
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    assert incident.resolution == "Rolled back the deploy."
    assert slack.channels[incident.slack_channel_id].is_archived
    # the resolution reached the channel before it was archived
    assert any("resolved" in m.text for m in slack.messages(incident.slack_channel_id))
    archive = Delivery.objects.get(notification__event="channel_archive")
    assert (archive.address, archive.status) == (incident.slack_channel_id, DeliveryStatus.SENT)


def test_resolve_announces_in_the_broadcast_channel_chosen(
    client, slack, incident, commander_user, django_capture_on_commit_callbacks
):
    meet_required_criteria(incident, commander_user)
    war_room = slack.add_channel("war-room")
    view = open_modal(client, slack, "resolve", channel=channel_of(incident))
    with django_capture_on_commit_callbacks(execute=True):
        interact(client, submission(view, resolve_answers(broadcast=war_room, archive=[])))
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    assert incident.broadcast_channel == war_room
    assert any("resolved" in m.text for m in slack.messages(war_room))


def test_resolve_without_archiving_keeps_the_channel(
    client, slack, incident, commander_user, django_capture_on_commit_callbacks
):
    meet_required_criteria(incident, commander_user)
    view = open_modal(client, slack, "resolve", channel=channel_of(incident))
    with django_capture_on_commit_callbacks(execute=True):
        interact(client, submission(view, resolve_answers(archive=[])))
    assert Incident.objects.get().status == IncidentStatus.RESOLVED
    assert not slack.channels[incident.slack_channel_id].is_archived
    assert not slack.calls("conversations.archive")


def test_archiving_a_channel_the_incident_does_not_have_is_refused_under_the_checkbox(
    client, slack, incident, commander_user
):
    meet_required_criteria(incident, commander_user)
    view = open_modal(client, slack, "resolve", channel=channel_of(incident))
    Incident.objects.filter(pk=incident.pk).update(slack_channel_id="")  # gone meanwhile
    errors = errors_of(interact(client, submission(view, resolve_answers())))
    assert errors == {"archive": f"{incident.reference} has no Slack channel to archive."}
    assert Incident.objects.get().status == IncidentStatus.DECLARED


def test_unmet_exit_criteria_are_listed_in_the_modal(client, slack, incident):
    view = open_modal(client, slack, "resolve", channel=channel_of(incident))
    errors = errors_of(interact(client, submission(view, resolve_answers())))
    assert "Error rate back to baseline" in errors["resolution"]
    assert "Customers informed" in errors["resolution"]
    assert "Dashboards annotated" not in errors["resolution"]
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.DECLARED and not incident.resolution


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("checkout-502", "starts with inc_"),
        ("inc_nothing_20250101", "No incident you can see"),
    ],
)
def test_a_typed_channel_name_must_be_an_incident_channel(client, slack, incident, name, message):
    view = open_modal(client, slack, "resolve")
    errors = errors_of(interact(client, submission(view, resolve_answers(channel=name))))
    assert message in errors["channel"]


def test_resolve_by_typed_channel_name(client, slack, incident, commander_user):
    meet_required_criteria(incident, commander_user)
    view = open_modal(client, slack, "resolve")
    assert "initial_option" not in blocks_of(view)["incident"]["element"]
    interact(client, submission(view, resolve_answers(channel=f"#{incident.channel_name}")))
    assert Incident.objects.get().status == IncidentStatus.RESOLVED


def test_a_typed_channel_name_must_match_the_chosen_incident(client, slack, incident, declare):
    other = declare(title="Search is slow")
    view = open_modal(client, slack, "resolve", channel=channel_of(incident))
    answers = resolve_answers(channel=other.channel_name)
    errors = errors_of(interact(client, submission(view, answers)))
    assert f"is the channel of {other.reference}" in errors["channel"]


def test_resolve_needs_an_incident(client, slack, incident):
    view = open_modal(client, slack, "resolve")
    errors = errors_of(interact(client, submission(view, resolve_answers())))
    assert "Choose the incident" in errors["incident"]


def test_resolve_refuses_an_unusable_broadcast_channel(client, slack, incident, commander_user):
    meet_required_criteria(incident, commander_user)
    view = open_modal(client, slack, "resolve", channel=channel_of(incident))
    archived = slack.channel_by_name("incidents")
    archived.is_archived = True
    # Slack tells the app, whose cache of the bot's channels drops it (no listing).
    event(client, {"type": "channel_archive", "channel": archived.id, "user": "U0RUDY"})
    errors = errors_of(interact(client, submission(view, resolve_answers())))
    assert "is archived" in errors["broadcast"]
    assert Incident.objects.get().status == IncidentStatus.DECLARED


# status


def test_status_in_the_incident_channel_summarises_it(client, slack, incident):
    text = command(client, "status", channel=channel_of(incident)).json()["text"]
    assert f"*{incident.reference}* Checkout is failing" in text
    assert "SEV2" in text and "Declared" in text and "<@U0CORA>" in text
    assert "Next update due <!date^" in text
    assert "Error rate back to baseline; Customers informed" in text


def test_status_escapes_titles_so_they_cannot_mention_anyone(client, slack, declare):
    declare(title="<!channel> checkout & cart down")
    text = command(client, "status").json()["text"]
    assert "&lt;!channel&gt; checkout &amp; cart down" in text and "<!channel>" not in text


def test_status_elsewhere_lists_active_incidents(client, slack, incident, declare):
    other = declare(title="Search is slow")
    text = command(client, "status").json()["text"]
    assert f"*{incident.reference}* Checkout is failing" in text
    assert f"<#{incident.slack_channel_id}>" in text
    assert f"*{other.reference}* Search is slow" in text


def test_status_without_active_incidents_says_so(client, slack):
    assert "no active incident" in command(client, "status").json()["text"]


def test_a_private_incident_is_hidden_from_an_outsider(
    client, slack, declare, security_type, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        secret = declare(title="Leaked keys", incident_type=security_type)
    assert secret.is_private
    secret.refresh_from_db()
    slack.channels[secret.slack_channel_id].members.add("U0STELLA")
    for where in ("C0GENERAL", secret.slack_channel_id):
        text = command(client, "status", user="U0STELLA", channel=where).json()["text"]
        assert secret.reference not in text and "no active incident" in text
    assert secret.reference in command(client, "status").json()["text"]


# role


@pytest.fixture
def functions():
    return {
        "commander": factories.CriticalFunctionFactory(
            name="Incident commander", slug="incident-commander", incident_field="commander"
        ),
        "responder": factories.CriticalFunctionFactory(
            name="Responder", slug="responder", incident_field="responder"
        ),
        "communications": factories.CriticalFunctionFactory(
            name="Communications lead", slug="communications-lead"
        ),
    }


def test_role_hands_the_commander_over(client, slack, incident, functions, responder_user):
    where = channel_of(incident)
    text = command(client, "role commander <@U0RUDY|rudy>", channel=where).json()["text"]
    assert text == f"<@U0RUDY> is now Incident commander of {incident.reference}."
    incident.refresh_from_db()
    assert incident.commander == responder_user


def test_role_finds_a_function_by_its_slugs_first_word(
    client, slack, incident, functions, stakeholder_user
):
    command(client, "role communications <@U0STELLA>", channel=channel_of(incident))
    holder = RoleAssignment.objects.get(function=functions["communications"], ended_at=None)
    assert holder.user == stakeholder_user


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("role commander", "incident", "Use: `/incident role"),
        ("role janitor <@U0RUDY>", "incident", "There is no role “janitor”"),
        ("role commander <@U0NOBODY>", "incident", "<@U0NOBODY> has no Beacon account"),
        ("role commander <@U0RUDY>", "C0GENERAL", "This is not an incident channel"),
    ],
)
def test_role_errors_are_explained(client, slack, incident, functions, text, where, message):
    where = channel_of(incident) if where == "incident" else where
    body = command(client, text, channel=where).json()
    assert body["response_type"] == "ephemeral" and message in body["text"]
    incident.refresh_from_db()
    assert incident.commander.username == "cora"


def test_role_refused_by_the_service_is_explained(client, slack, incident, functions):
    command(client, "role commander <@U0RUDY>", channel=channel_of(incident))
    body = command(client, "role commander <@U0RUDY>", channel=channel_of(incident)).json()
    assert body["text"] == "rudy already holds Incident commander."


# criteria


def test_criteria_lists_them_with_a_button_per_unmet_one(client, slack, incident, commander_user):
    first = incident.criteria.get(text="Error rate back to baseline")
    services.incident_check_exit_criterion(
        incident=incident, actor=commander_user, criterion_id=first.pk
    )
    body = command(client, "criteria", channel=channel_of(incident)).json()
    rows = body["blocks"][1:]
    assert [r["text"]["text"] for r in rows] == [
        "✅ Error rate back to baseline (met)",
        "⬜ Customers informed (required)",
        "⬜ Dashboards annotated (optional)",
    ]
    buttons = [r.get("accessory") for r in rows]
    assert buttons[0] is None
    assert {b["action_id"] for b in buttons[1:]} == {"criteria.met"}


def click(client, incident, value, user="U0CORA"):
    action = {"action_id": "criteria.met", "value": str(value)}
    return interact(
        client,
        {
            "type": "block_actions",
            "user": {"id": user},
            "channel": {"id": incident.slack_channel_id},
            "actions": [action],
        },
    )


def told(slack, incident, user):
    return [m.text for m in slack.messages(incident.slack_channel_id) if m.ephemeral_to == user]


def test_the_mark_met_button_checks_the_criterion(client, slack, incident):
    criterion = incident.criteria.get(text="Customers informed")
    assert click(client, incident, criterion.pk).status_code == 200
    criterion.refresh_from_db()
    assert criterion.is_met and criterion.met_by.username == "cora"
    assert told(slack, incident, "U0CORA") == [
        f"“Customers informed” is met in {incident.reference}."
    ]
    click(client, incident, criterion.pk)
    assert "already met" in told(slack, incident, "U0CORA")[-1]


def test_criteria_outside_an_incident_channel(client, slack, incident):
    assert "not an incident channel" in command(client, "criteria").json()["text"]


def test_a_click_on_a_criterion_of_a_hidden_incident_is_refused(
    client, slack, incident, declare, security_type
):
    secret = declare(title="Leaked keys", incident_type=security_type)
    click(client, incident, secret.criteria.get().pk, user="U0STELLA")
    assert told(slack, incident, "U0STELLA") == ["This exit criterion no longer exists."]
    assert not secret.criteria.get().is_met


# a stakeholder may look but not act


def test_a_stakeholder_may_not_post_an_update(client, slack, incident):
    view = open_modal(client, slack, "update", user="U0STELLA", channel=channel_of(incident))
    payload = submission(view, {"message": "Hello"}, user="U0STELLA")
    assert "not allowed to change" in errors_of(interact(client, payload))["incident"]
    assert not StatusUpdate.objects.exists()


def test_a_stakeholder_may_not_resolve(client, slack, incident, commander_user):
    meet_required_criteria(incident, commander_user)
    view = open_modal(client, slack, "resolve", user="U0STELLA", channel=channel_of(incident))
    payload = submission(view, resolve_answers(), user="U0STELLA")
    assert "not allowed to change" in errors_of(interact(client, payload))["incident"]
    assert Incident.objects.get().status == IncidentStatus.DECLARED


def test_a_stakeholder_may_not_hand_roles_over(client, slack, incident, functions):
    text = "role commander <@U0STELLA>"
    body = command(client, text, user="U0STELLA", channel=channel_of(incident)).json()
    assert "not allowed to change" in body["text"]
    incident.refresh_from_db()
    assert incident.commander.username == "cora"


def test_a_stakeholder_sees_criteria_but_may_not_check_them(client, slack, incident):
    body = command(client, "criteria", user="U0STELLA", channel=channel_of(incident)).json()
    assert len(body["blocks"]) == 4 and not any("accessory" in b for b in body["blocks"])
    criterion = incident.criteria.get(text="Customers informed")
    click(client, incident, criterion.pk, user="U0STELLA")
    assert "not allowed to change" in told(slack, incident, "U0STELLA")[-1]
    criterion.refresh_from_db()
    assert not criterion.is_met
