"""The declare modal answered at once, declared by a worker from its inbox row: once, whatever
is replayed or retried, with the outcome shown in the modal (tasks run eagerly on commit)."""

import json
import logging
from datetime import timedelta

import pytest

from incidents.models import Incident
from incidents.tests import factories
from notifications import broker
from slackbot import inbox
from slackbot.models import SlackDeclaration, SlackDeclarationState
from slackbot.tasks import declare_from_slack, declare_from_slack_batch, sweep_slack_declarations
from slackbot.tests.slack_requests import SECRET, command, interact, submission

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

    def _submit(user="U0CORA", view_id=None, view_hash="h1", view=None, **changes):
        if view_id is None:
            command(client, "declare", user=user)
            view_id = slack.last_view()["id"]
        view = view or slack.views[view_id]
        payload = submission(
            view, answers(**changes), user=user, view_id=view_id, view_hash=view_hash
        )
        return interact(client, payload).json(), view_id

    return _submit


def shown(slack, view_id):
    return json.dumps(slack.views[view_id])


def test_the_submission_is_answered_declaring_and_stored_as_sent_in_one_pending_row(slack, submit):
    answer, view_id = submit()  # no commit in this test: the task is not queued
    assert answer["response_action"] == "update"
    assert "Declaring *Checkout is failing*" in json.dumps(answer["view"])
    row = SlackDeclaration.objects.get()
    assert (row.view_id, row.state, row.slack_user_id) == (view_id, "pending", "U0CORA")
    assert row.user is None  # the worker finds the member
    assert row.answers["title"]["declare.title"]["value"] == "Checkout is failing"
    assert not Incident.objects.exists()


def test_the_answer_asks_neither_slack_nor_the_throttle_and_makes_one_write(
    client, slack, answers, django_assert_max_num_queries
):
    command(client, "declare")
    view = slack.last_view()
    calls = len(slack.calls())
    payload = submission(view, answers(), view_id=view["id"])
    with django_assert_max_num_queries(3):  # the INSERT, in its savepoint
        assert interact(client, payload).json()["response_action"] == "update"
    assert len(slack.calls()) == calls


def test_the_answers_own_mistakes_come_back_at_once_and_nothing_is_stored(slack, submit):
    answer, _view_id = submit(name="Not A Name", definition=["unplanned"])
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"name", "definition"}
    assert not SlackDeclaration.objects.exists()


def test_the_answer_speaks_the_language_the_modal_was_built_in(slack, submit, commander_user):
    slack.add_user("U0CORA", "cora", commander_user.email, locale="fr-FR")
    answer, _view_id = submit()
    assert "Déclaration" in json.dumps(answer["view"], ensure_ascii=False)
    assert SlackDeclaration.objects.get().language == "fr"


def test_a_field_the_worker_refuses_shows_the_form_again_filled_in_then_declares(
    slack, submit, django_capture_on_commit_callbacks
):
    slack.add_user("U0NOBODY", "nobody", "nobody@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        _answer, view_id = submit(responder="U0NOBODY")
    row = SlackDeclaration.objects.get()
    assert row.state == SlackDeclarationState.REFUSED and "responder" in row.errors
    form = slack.views[view_id]
    blocks = {block.get("block_id"): block for block in form["blocks"]}
    assert "no Beacon account" in json.dumps(blocks["error.responder"])
    assert blocks["title"]["element"]["initial_value"] == "Checkout is failing"
    assert blocks["commander"]["element"]["initial_user"] == "U0CORA"
    assert form["callback_id"] == "declare" and not Incident.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        _answer, _same = submit(view_id=view_id, view_hash="h2")  # corrected, submitted again
    assert Incident.objects.count() == 1
    assert Incident.objects.get().reference in shown(slack, view_id)


def test_a_second_submission_while_one_is_pending_is_refused(slack, submit):
    _answer, view_id = submit()
    answer, _same = submit(view_id=view_id, view_hash="h2")
    assert answer["response_action"] == "errors" and "still declaring" in answer["errors"]["title"]
    assert SlackDeclaration.objects.count() == 1


def test_a_view_declared_from_already_is_not_declared_twice(
    slack, submit, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _answer, view_id = submit()
        form = dict(slack.views[view_id])
    reference = Incident.objects.get().reference
    with django_capture_on_commit_callbacks(execute=True):
        submit(view_id=view_id, view_hash="h-forged", view=form)
    assert Incident.objects.count() == 1 and reference in shown(slack, view_id)


def test_a_member_not_linked_is_told_how_to_link_in_the_modal(
    client, slack, answers, django_capture_on_commit_callbacks
):
    command(client, "declare")
    view = slack.last_view()
    slack.add_user("U0STRANGER", "stranger", "stranger@example.com")
    payload = submission(view, answers(), user="U0STRANGER", view_id="VSTRANGER1")
    slack.views["VSTRANGER1"] = {"id": "VSTRANGER1"}
    with django_capture_on_commit_callbacks(execute=True):
        assert interact(client, payload).json()["response_action"] == "update"
    assert SlackDeclaration.objects.get().state == SlackDeclarationState.REFUSED
    assert "/incident link" in shown(slack, "VSTRANGER1") and not Incident.objects.exists()


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
    assert "no longer offered" in row.errors["incident_type"] and not Incident.objects.exists()
    assert "no longer offered" in shown(slack, view_id)  # the form again, with the error


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


def test_a_batch_of_several_declares_each_by_a_task_of_its_own(
    slack, submit, django_capture_on_commit_callbacks
):
    views = [submit(name=name)[1] for name in ("checkout-502", "search-slow")]
    rows = list(SlackDeclaration.objects.order_by("pk").values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        assert declare_from_slack_batch(rows) == 2  # two tasks queued (run eagerly here)
    assert Incident.objects.count() == 2
    assert all("is declared" in shown(slack, view_id) for view_id in views)


def test_a_batch_whose_tasks_cannot_be_queued_leaves_its_rows_to_the_sweep(
    slack, submit, settings, django_capture_on_commit_callbacks
):
    for name in ("checkout-502", "search-slow"):
        submit(name=name)
    rows = list(SlackDeclaration.objects.values_list("pk", flat=True))
    broker._pause()  # a publish just failed: none is tried for a while
    assert declare_from_slack_batch(rows) == 0
    assert not Incident.objects.exists()
    broker._resume()
    SlackDeclaration.objects.update(
        created_at=SlackDeclaration.objects.get(pk=rows[0]).created_at
        - timedelta(seconds=settings.SLACK_DECLARATION_SWEEP_GRACE_SECONDS + 1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_slack_declarations() == 2
    assert Incident.objects.count() == 2 and inbox.pending_ids() == []


def test_a_modal_gone_meanwhile_is_logged_and_the_declaration_stands(
    slack, submit, django_capture_on_commit_callbacks, caplog
):
    slack.fail_next("views.update", error="not_found")
    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        submit()
    assert SlackDeclaration.objects.get().state == SlackDeclarationState.DECLARED
    assert Incident.objects.count() == 1
    assert "the modal could not be updated" in caplog.text
