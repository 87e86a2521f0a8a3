"""Declarations from Slack's modal with a real worker: several submitted together travel in one
message and are each declared once; while the broker is away each is answered at once from its
inbox row, then declared exactly once when the sweep queues it again."""

import json
import time
from urllib.parse import urlencode

import pytest
import requests

from incidents.models import Incident
from incidents.tests import factories
from notifications.tests.brokers import celery_broker
from notifications.tests.test_fault_publishing import Gunicorn, web_env
from slackbot.models import SlackDeclaration, SlackDeclarationState
from slackbot.tasks import sweep_slack_declarations
from slackbot.tests.slack_requests import SECRET, command, interact, signature, submission


def _answers(outage, sev2, name="checkout-502"):
    return {
        "title": "Checkout is failing",
        "name": name,
        "incident_type": outage.pk,
        "severity": sev2.pk,
        "commander": "U0CORA",
        "definition": ["affects_customers", "unplanned", "exceeds_one_hour"],
    }


def _wait_until(condition, worker, *, timeout=30):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"still waiting after {timeout} s; the worker's log ends:\n{worker.log()}")
        time.sleep(0.2)


def _sweep_until(condition, worker, *, timeout=30):
    """Run the Slack declarations' sweep once a second (as beat does, only more often)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"still waiting after {timeout} s; the worker's log ends:\n{worker.log()}")
        sweep_slack_declarations()
        time.sleep(1)


@pytest.mark.broker
def test_a_slack_declaration_while_the_broker_is_down_is_answered_then_declared_once(
    redis_proxy, broker, workers, fake_slack, commander, client, settings, capsys
):
    # redis_proxy comes before workers: the worker stops before the proxy does.
    proxy, proxy_url = redis_proxy
    settings.SLACK_SIGNING_SECRET = SECRET
    settings.SLACK_DECLARATION_SWEEP_GRACE_SECONDS = 1
    fake_slack.add_user("U0CORA", "cora", commander.email)
    outage = factories.IncidentTypeFactory(name="Outage", slug="outage")
    sev2 = factories.SeverityFactory(name="SEV2", rank=2)
    with celery_broker(proxy_url, task_always_eager=False, broker_transport_options=broker.options):
        command(client, "declare")
        view = fake_slack.last_view()
        payload = submission(view, _answers(outage, sev2), view_id=view["id"])
        proxy.down()
        started = time.monotonic()
        answer = interact(client, payload).json()
        seconds = time.monotonic() - started
        assert "Declaring *Checkout is failing*" in json.dumps(answer)
        row = SlackDeclaration.objects.get()
        assert row.state == SlackDeclarationState.PENDING and not Incident.objects.exists()
        again = interact(client, payload).json()  # Slack retries: the same row answers
        assert again == answer and SlackDeclaration.objects.count() == 1

        proxy.up()
        worker = workers(
            proxy_url,
            BEACON_TEST_SLACK_BOT_TOKEN=fake_slack.token,
            BEACON_TEST_SLACK_API_URL=fake_slack.url + "/api/",
        )
        _sweep_until(lambda: "is declared" in json.dumps(fake_slack.views[view["id"]]), worker)
        for _ in range(3):  # more sweeps find nothing left to declare
            assert sweep_slack_declarations() == 0
    with capsys.disabled():
        print(f"\nanswered in {seconds * 1000:.0f} ms with the broker down")
    incident = Incident.objects.get()
    row.refresh_from_db()
    assert row.state == SlackDeclarationState.DECLARED and row.incident == incident
    assert incident.reference in json.dumps(fake_slack.views[view["id"]])


@pytest.mark.broker
def test_declarations_submitted_together_travel_in_one_message_and_are_each_declared_once(
    broker, workers, fake_slack, commander, client, settings
):
    settings.SLACK_SIGNING_SECRET = SECRET
    settings.BEACON_BACKGROUND_PUBLISH_LINGER_SECONDS = 1.0  # the three land within it
    fake_slack.add_user("U0CORA", "cora", commander.email)
    outage = factories.IncidentTypeFactory(name="Outage", slug="outage")
    sev2 = factories.SeverityFactory(name="SEV2", rank=2)
    worker = workers(
        broker.url,
        BEACON_TEST_SLACK_BOT_TOKEN=fake_slack.token,
        BEACON_TEST_SLACK_API_URL=fake_slack.url + "/api/",
    )
    views = []
    for name in ("checkout-502", "search-slow", "login-down"):
        command(client, "declare")
        views.append(fake_slack.last_view()["id"])
        payload = submission(
            fake_slack.last_view(), _answers(outage, sev2, name), view_id=views[-1]
        )
        assert "Declaring" in json.dumps(interact(client, payload).json())

    def all_shown():
        return all("is declared" in json.dumps(fake_slack.views[v]) for v in views)

    _wait_until(all_shown, worker)
    log = worker.log()
    assert log.count("slackbot.tasks.declare_from_slack_batch[") == 2  # received, succeeded
    assert log.count("slackbot.tasks.declare_from_slack[") == 6  # one task each
    assert Incident.objects.count() == 3
    assert set(SlackDeclaration.objects.values_list("state", flat=True)) == {
        SlackDeclarationState.DECLARED
    }


@pytest.mark.broker
def test_a_web_process_stopped_right_after_answering_queues_the_declaration_it_held(
    broker, workers, fake_slack, commander, client, settings, tmp_path
):
    settings.SLACK_SIGNING_SECRET = SECRET
    fake_slack.add_user("U0CORA", "cora", commander.email)
    outage = factories.IncidentTypeFactory(name="Outage", slug="outage")
    sev2 = factories.SeverityFactory(name="SEV2", rank=2)
    command(client, "declare")
    view = fake_slack.last_view()
    body = urlencode(
        {"payload": json.dumps(submission(view, _answers(outage, sev2), view_id=view["id"]))}
    )
    timestamp = str(int(time.time()))
    env = web_env(
        broker.url,
        broker,
        tmp_path,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_BOT_TOKEN=fake_slack.token,
        SLACK_API_URL=fake_slack.url + "/api/",
        # Far longer than the test: only the stop can make the thread publish in time.
        BEACON_BACKGROUND_PUBLISH_LINGER_SECONDS="600",
    )
    with Gunicorn(env, workers=1) as web:
        answer = requests.post(
            f"{web.url}/slack/interactivity/",
            data=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": timestamp,
                "X-Slack-Signature": signature(body, timestamp),
            },
            timeout=10,
        )
        assert "Declaring" in answer.text, answer.text
        web.stop()  # a deploy: the worker exits after its last answer
    row = SlackDeclaration.objects.get()
    assert row.state == SlackDeclarationState.PENDING
    worker = workers(
        broker.url,
        BEACON_TEST_SLACK_BOT_TOKEN=fake_slack.token,
        BEACON_TEST_SLACK_API_URL=fake_slack.url + "/api/",
    )
    # No sweep runs: the task is on the queue because the stopping process published it.
    _wait_until(lambda: "is declared" in json.dumps(fake_slack.views[view["id"]]), worker)
    row.refresh_from_db()
    assert row.state == SlackDeclarationState.DECLARED and Incident.objects.count() == 1
