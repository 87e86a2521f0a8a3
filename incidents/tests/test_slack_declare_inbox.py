"""The declare modal answered at once, declared by a worker from its inbox row: once, whatever
is replayed or retried, with the outcome shown in the modal (tasks run eagerly on commit)."""

import json
import logging
from datetime import timedelta

import pytest

from incidents.models import Incident, SlackDeclaration, SlackDeclarationState
from incidents.slack import inbox
from incidents.tasks import declare_from_slack, sweep_slack_declarations
from incidents.tests import factories
from incidents.tests.slack_requests import SECRET, command, interact, submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def slack(fake_slack, settings, commander_user, responder_user):
    settings.SLACK_SIGNING_SECRET = SECRET
    fake_slack.add_user("U0CORA", "cora", commander_user.email)
    fake_slack.add_user("U0RUDY", "rudy", responder_user.email)
    return fake_slack


@pytest.fixture
def submit(client, slack, answers):
    """Open the declare modal as `user`, submit it; (the answer, the view's id)."""

    def _submit(user="U0CORA", **changes):
        command(client, "declare", user=user)
        view = slack.last_view()
        payload = submission(view, answers(**changes), user=user, view_id=view["id"])
        return interact(client, payload).json(), view["id"]

    return _submit


def shown(slack, view_id):
    return json.dumps(slack.views[view_id])


def test_the_submission_is_answered_declaring_and_stored_as_one_pending_row(slack, submit):
    answer, view_id = submit()  # no commit in this test: the task is not queued
    assert answer["response_action"] == "update"
    assert "Declaring *Checkout is failing*" in json.dumps(answer["view"])
    row = SlackDeclaration.objects.get()
    assert (row.view_id, row.state, row.user.username) == (view_id, "pending", "cora")
    assert row.inputs["title"] == "Checkout is failing" and row.inputs["commander"]
    assert not Incident.objects.exists()


def test_the_task_declares_once_and_the_modal_shows_the_reference(
    slack, submit, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answer, view_id = submit()
    incident = Incident.objects.get()
    row = SlackDeclaration.objects.get()
    assert row.state == SlackDeclarationState.DECLARED and row.incident == incident
    assert incident.commander.username == "cora" and incident.responder.username == "rudy"
    assert incident.reference in shown(slack, view_id)
    assert incident.channel_name in shown(slack, view_id)
    updates = len(slack.calls("views.update"))
    with django_capture_on_commit_callbacks(execute=True):
        assert declare_from_slack(row.pk) is None  # a retried task: nothing more
    assert Incident.objects.count() == 1 and len(slack.calls("views.update")) == updates


def test_a_refusal_at_declaration_time_is_shown_in_the_modal(
    slack, submit, outage, django_capture_on_commit_callbacks
):
    _answer, view_id = submit()
    outage.is_active = False  # withdrawn between the submission and the worker
    outage.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            declare_from_slack(SlackDeclaration.objects.get().pk) == SlackDeclarationState.REFUSED
        )
    row = SlackDeclaration.objects.get()
    assert "no longer offered" in row.refusal and not Incident.objects.exists()
    assert "no longer offered" in shown(slack, view_id)
    assert "/incident declare` again" in shown(slack, view_id)


def test_a_declaration_failing_unexpectedly_is_retried_then_refused_and_the_declarer_told(
    slack, submit, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.BEACON_SLACK_DECLARATION_MAX_ATTEMPTS = 2
    _answer, view_id = submit()
    row = SlackDeclaration.objects.get()

    def broken(**_arguments):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(inbox.services, "incident_declare", broken)
    for _try in range(2):
        with pytest.raises(RuntimeError), django_capture_on_commit_callbacks(execute=True):
            declare_from_slack(row.pk)
    row.refresh_from_db()
    assert (row.state, row.attempts) == (SlackDeclarationState.PENDING, 2)
    with django_capture_on_commit_callbacks(execute=True):
        assert declare_from_slack(row.pk) is None  # a third try: refused, not retried
    row.refresh_from_db()
    assert row.state == SlackDeclarationState.REFUSED and not Incident.objects.exists()
    assert "could not declare it" in shown(slack, view_id)
    assert inbox.pending_ids() == []


def test_a_replay_by_another_member_is_told_nothing_of_the_row(
    client, slack, submit, answers, commander_user
):
    _answer, view_id = submit()
    other = factories.commander(username="otto", email="otto@example.com")
    slack.add_user("U0OTTO", "otto", other.email)
    command(client, "declare", user="U0OTTO")
    payload = submission(slack.last_view(), answers(title="Other"), user="U0OTTO", view_id=view_id)
    body = interact(client, payload).json()
    assert body["response_action"] == "errors"
    assert "Checkout" not in json.dumps(body) and SlackDeclaration.objects.count() == 1


def test_the_sweep_declares_a_row_left_pending_once(
    slack, submit, django_capture_on_commit_callbacks, settings
):
    _answer, view_id = submit()  # its task never queued: as with the broker down
    assert sweep_slack_declarations() == 0  # still within the grace
    SlackDeclaration.objects.update(
        created_at=SlackDeclaration.objects.get().created_at
        - timedelta(seconds=settings.SLACK_DECLARATION_SWEEP_GRACE_SECONDS + 1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_slack_declarations() == 1
    incident = Incident.objects.get()
    assert incident.reference in shown(slack, view_id)
    assert sweep_slack_declarations() == 0 and Incident.objects.count() == 1


def test_a_modal_gone_meanwhile_is_logged_and_the_declaration_stands(
    slack, submit, django_capture_on_commit_callbacks, caplog
):
    slack.fail_next("views.update", error="not_found")
    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        submit()
    assert SlackDeclaration.objects.get().state == SlackDeclarationState.DECLARED
    assert Incident.objects.count() == 1
    assert "the modal could not be updated" in caplog.text


def test_the_inputs_keep_related_rows_by_key_and_read_them_again(
    commander_user, outage, sev2, checkout_service
):
    declaration = {
        "title": "T",
        "incident_type": outage,
        "severity": sev2,
        "commander": commander_user,
        "responder": None,
        "invitees": [commander_user],
        "services": [checkout_service],
        "slack_participants": [("U0SAM", "sam")],
    }
    inputs = inbox.inputs_of(declaration)
    assert json.loads(json.dumps(inputs))["services"] == [checkout_service.pk]
    assert inbox.arguments_of(json.loads(json.dumps(inputs))) == {
        **declaration,
        "slack_participants": [("U0SAM", "sam")],
    }
