"""The fake Slack and webhook servers, driven by the real client libraries."""

import hashlib
import hmac
import http.client
import json

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from notifications.testing import FakeSlack, FakeWebhookReceiver, verify_signature


@pytest.fixture
def slack():
    with FakeSlack() as fake:
        fake.add_user("U0001", "ada", "ada@example.com", locale="fr-FR")
        fake.add_user("U0002", "bob", "bob@example.com")
        yield fake


@pytest.fixture
def client(slack):
    return WebClient(token="xoxb-test", base_url=slack.url + "/api/", timeout=5)


@pytest.fixture
def hook():
    with FakeWebhookReceiver() as fake:
        yield fake


def slack_error(call, *args, **kwargs) -> SlackApiError:
    with pytest.raises(SlackApiError) as info:
        call(*args, **kwargs)
    return info.value


# -- Slack


def test_auth_and_unknown_method(slack, client):
    assert client.auth_test()["user_id"] == slack.bot_user_id
    assert slack_error(client.api_call, "nope.nothing").response["error"] == "unknown_method"
    wrong = WebClient(token="xoxb-wrong", base_url=slack.url + "/api/")
    assert slack_error(wrong.auth_test).response["error"] == "invalid_auth"


def test_post_message_to_a_channel_and_a_dm(slack, client):
    channel_id = slack.add_channel("incidents")
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*SEV1*"}}]
    metadata = {"event_type": "incident", "event_payload": {"id": 42}}
    first = client.chat_postMessage(
        channel="#incidents", text="hi", blocks=blocks, metadata=metadata
    )
    assert first["channel"] == channel_id
    assert first["message"]["blocks"] == blocks
    dm = client.chat_postMessage(channel="U0001", text="you are on call", thread_ts=first["ts"])
    assert dm["channel"].startswith("D")
    assert float(dm["ts"]) > float(first["ts"])
    [message] = slack.messages("incidents")
    assert (message.text, message.blocks, message.metadata) == ("hi", blocks, metadata)
    assert slack.messages(dm["channel"])[0].thread_ts == first["ts"]
    assert [p["text"] for _, p in slack.calls("chat.postMessage")] == ["hi", "you are on call"]
    updated = client.chat_update(channel=channel_id, ts=first["ts"], text="resolved")
    assert updated["message"]["text"] == message.text == "resolved"


def test_post_message_errors(slack, client):
    slack.add_channel("elsewhere", bot_member=False)
    slack.add_channel("old", is_archived=True)
    post = client.chat_postMessage
    assert slack_error(post, channel="elsewhere", text="x").response["error"] == "not_in_channel"
    assert slack_error(post, channel="old", text="x").response["error"] == "is_archived"
    assert slack_error(post, channel="C9999", text="x").response["error"] == "channel_not_found"


def test_create_channel(slack, client):
    created = client.conversations_create(name="inc-42-db", is_private=True)["channel"]
    assert created["is_private"] and created["is_member"]
    assert slack.channel_by_name("inc-42-db").id == created["id"]
    assert slack.calls("conversations.create")[0][1] == {"name": "inc-42-db", "is_private": "1"}
    error = slack_error(client.conversations_create, name="inc-42-db")
    assert error.response["error"] == "name_taken"
    error = slack_error(client.conversations_create, name="Inc 42!")
    assert error.response["error"] == "invalid_name_specials"


def test_invite_topic_and_purpose(slack, client):
    channel_id = slack.add_channel("inc-7")
    client.conversations_invite(channel=channel_id, users=["U0001", "U0002"])
    assert {"U0001", "U0002"} <= slack.channels[channel_id].members
    error = slack_error(client.conversations_invite, channel=channel_id, users="U0404")
    assert error.response["error"] == "user_not_found"
    error = slack_error(client.conversations_setTopic, channel=channel_id, topic="x" * 251)
    assert error.response["error"] == "too_long"
    client.conversations_setTopic(channel=channel_id, topic="DB down")
    client.conversations_setPurpose(channel=channel_id, purpose="Incident 7")
    info = client.conversations_info(channel=channel_id)["channel"]
    assert (info["topic"]["value"], info["purpose"]["value"]) == ("DB down", "Incident 7")


def test_conversations_info_list_and_archive(slack, client):
    old = slack.add_channel("old", is_archived=True)
    live = slack.add_channel("live")
    slack.add_channel("secret", is_private=True, bot_member=False)
    assert client.conversations_info(channel=old)["channel"]["is_archived"] is True
    client.conversations_archive(channel=live)
    assert client.conversations_info(channel=live)["channel"]["is_archived"] is True
    listed = client.conversations_list(types="public_channel,private_channel")
    assert {c["name"] for c in listed["channels"]} == {"old", "live"}
    assert listed["response_metadata"]["next_cursor"] == ""
    dm = client.conversations_open(users="U0002")["channel"]["id"]
    assert dm.startswith("D") and client.conversations_open(users="U0002")["channel"]["id"] == dm


def test_users_and_usergroups(slack, client):
    assert client.users_lookupByEmail(email="ada@example.com")["user"]["id"] == "U0001"
    error = slack_error(client.users_lookupByEmail, email="nobody@example.com")
    assert error.response["error"] == "users_not_found"
    user = client.users_info(user="U0001", include_locale=True)["user"]
    assert (user["profile"]["email"], user["locale"]) == ("ada@example.com", "fr-FR")
    slack.add_usergroup("S0001", "oncall-db", ["U0001", "U0002"])
    assert client.usergroups_users_list(usergroup="S0001")["users"] == ["U0001", "U0002"]


def test_rate_limited_then_ok(slack, client):
    slack.add_channel("incidents")
    slack.fail_next("chat.postMessage", error="ratelimited", retry_after=7)
    client.auth_test()  # another method is not affected
    error = slack_error(client.chat_postMessage, channel="incidents", text="x")
    assert error.response.status_code == 429
    assert error.response.headers["Retry-After"] == "7"
    assert error.response["error"] == "ratelimited"
    assert client.chat_postMessage(channel="incidents", text="x")["ok"]


def test_server_errors_and_outage(slack, client):
    slack.fail_next()
    assert slack_error(client.auth_test).response.status_code == 500
    slack.fail_next(error="fatal_error")
    error = slack_error(client.auth_test)
    assert (error.response.status_code, error.response["error"]) == (200, "fatal_error")
    slack.set_down()
    assert slack_error(client.auth_test).response.status_code == 503
    slack.set_down(False)
    assert client.auth_test()["ok"]


# -- webhooks


def test_scripted_errors_then_default(hook):
    hook.respond(500, times=2)
    with requests.Session() as session:
        statuses = [
            session.post(hook.url + "/hooks/a", json={"n": n}).status_code for n in range(3)
        ]
    assert statuses == [500, 500, 200]
    assert [r.json for r in hook.requests] == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert [r.answered_status for r in hook.requests] == [500, 500, 200]
    assert [r.json["n"] for r in hook.successful_requests()] == [2]
    hook.respond(202, body={"accepted": True})
    assert requests.post(hook.url, data={"a": "1"}).json() == {"accepted": True}
    assert hook.requests[-1].form == {"a": "1"}


def test_keep_alive(hook):
    connection = http.client.HTTPConnection("127.0.0.1", int(hook.url.rsplit(":", 1)[1]))
    for _ in range(2):
        connection.request("POST", "/", body=b"{}")
        response = connection.getresponse()
        assert (response.status, response.read(), response.will_close) == (200, b"ok", False)
    connection.close()


def test_rate_limit_with_retry_after(hook):
    hook.rate_limit(retry_after=2)
    limited = requests.post(hook.url, json={})
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "2")
    assert requests.post(hook.url, json={}).status_code == 200


def test_hang_makes_the_client_time_out(hook):
    hook.hang(3, times=1)
    with pytest.raises(requests.Timeout):
        requests.post(hook.url, json={}, timeout=0.2)
    assert hook.wait_for(1)[0].answered_status is None  # still hanging
    assert requests.post(hook.url, json={}, timeout=2).status_code == 200


def test_idempotency_keys_and_wait_for(hook):
    for key in ["k1", "k1", "k2"]:
        requests.post(hook.url, json={}, headers={"idempotency-key": key})
    assert hook.received_ids() == ["k1", "k1", "k2"]
    assert len(hook.wait_for(lambda requests: len(requests) == 3, timeout=1)) == 3
    with pytest.raises(AssertionError, match="timed out after 0.05s waiting for 4 request"):
        hook.wait_for(4, timeout=0.05)
    hook.reset()
    assert hook.requests == []


def test_verify_signature(hook):
    body = json.dumps({"event": "incident.opened"}).encode()
    digest = hmac.new(b"s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
    headers = {"X-Beacon-Timestamp": "1700000000", "X-Beacon-Signature": f"v1={digest}"}
    requests.post(hook.url, data=body, headers=headers)
    requests.post(hook.url, data=body + b" ", headers=headers)
    requests.post(hook.url, data=body)
    signed, tampered, unsigned = hook.requests
    assert verify_signature(signed, "s3cret")
    assert not verify_signature(signed, "wrong")
    assert not verify_signature(tampered, "s3cret")
    assert not verify_signature(unsigned, "s3cret")
