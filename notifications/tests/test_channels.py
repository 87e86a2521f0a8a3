"""Each adapter against a local fake: what it sends, and how provider failures map to
retryable (with the provider's wait) or permanent."""

import smtplib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from django.core import mail

from notifications.channels import OutgoingMessage, PermanentError, RetryableError, get_adapter
from notifications.channels.base import parse_retry_after
from notifications.testing import verify_signature


def message(channel, address, **overrides):
    fields = {
        "delivery_id": 42,
        "idempotency_key": f"n7:0:{channel}:{address}",
        "channel": channel,
        "address": address,
        "event": "declared",
        "subject": "SEV1 incident declared: Checkout is failing",
        "content": {
            "text": "Checkout is failing",
            "subject": "[INC-1] Checkout",
            "html": "<p>x</p>",
        },
        "data": {"reference": "INC-2026-0001", "url": "http://beacon.test/incidents/INC-1/"},
    }
    return OutgoingMessage(**{**fields, **overrides})


def send(channel, address):
    return get_adapter(channel).send(message(channel, address))


class TestWebhook:
    def test_signed_json_with_the_idempotency_key(self, webhook_receiver, settings):
        send("webhook", webhook_receiver.url + "/hook")
        request = webhook_receiver.requests[0]
        assert request.json["delivery_id"] == 42 and request.json["event"] == "declared"
        assert request.json["data"]["reference"] == "INC-2026-0001"
        assert request.header("Idempotency-Key") == f"n7:0:webhook:{webhook_receiver.url}/hook"
        assert verify_signature(request, settings.BEACON_WEBHOOK_SECRET)
        assert not verify_signature(request, "another secret")

    def test_429_is_retryable_with_the_providers_wait(self, webhook_receiver):
        webhook_receiver.rate_limit(retry_after=2)
        with pytest.raises(RetryableError) as error:
            send("webhook", webhook_receiver.url)
        assert error.value.retry_after == 2

    @pytest.mark.parametrize("status", [500, 502, 503, 408])
    def test_server_errors_are_retryable(self, webhook_receiver, status):
        webhook_receiver.fail(status)
        with pytest.raises(RetryableError, match=f"HTTP {status}"):
            send("webhook", webhook_receiver.url)

    @pytest.mark.parametrize("status", [400, 401, 404, 410])
    def test_client_errors_are_permanent(self, webhook_receiver, status):
        webhook_receiver.fail(status)
        with pytest.raises(PermanentError, match=f"HTTP {status}"):
            send("webhook", webhook_receiver.url)

    def test_a_timeout_is_retryable(self, webhook_receiver, settings):
        settings.BEACON_HTTP_TIMEOUT = 0.2
        webhook_receiver.hang(1, times=1)
        with pytest.raises(RetryableError, match="timed out"):
            send("webhook", webhook_receiver.url)

    def test_nobody_listening_is_retryable(self, webhook_receiver):
        url = webhook_receiver.url
        webhook_receiver.stop()
        with pytest.raises(RetryableError, match="could not connect"):
            send("webhook", url)


def test_teams_posts_an_adaptive_card(webhook_receiver):
    send("teams", webhook_receiver.url)
    card = webhook_receiver.requests[0].json["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["body"][0]["text"].startswith("SEV1 incident declared")
    assert card["content"]["actions"][0]["url"].endswith("/incidents/INC-1/")


def test_mattermost_posts_text_with_the_delivery_id(webhook_receiver):
    send("mattermost", webhook_receiver.url)
    body = webhook_receiver.requests[0].json
    assert body == {"text": "Checkout is failing", "props": {"beacon_delivery_id": 42}}


class TestSms:
    def test_not_configured_is_permanent(self):
        with pytest.raises(PermanentError, match="BEACON_SMS_WEBHOOK_URL"):
            send("sms", "+15550100")

    @pytest.mark.parametrize("channel", ["sms", "voice"])
    def test_the_provider_is_asked_to_text_or_call(self, channel, webhook_receiver, settings):
        settings.BEACON_SMS_WEBHOOK_URL = webhook_receiver.url + "/messages"
        settings.BEACON_SMS_WEBHOOK_TOKEN = "sms-token"
        webhook_receiver.respond(200, {"id": "SM123"})
        assert send(channel, "+15550100") == "SM123"
        request = webhook_receiver.requests[0]
        assert request.json["to"] == "+15550100" and request.json["mode"] == channel
        assert request.header("Authorization") == "Bearer sms-token"


class TestEmail:
    def test_plain_and_html_with_the_delivery_headers(self):
        reference = send("email", "cora@example.com")
        sent = mail.outbox[0]
        assert sent.to == ["cora@example.com"] and sent.subject == "[INC-1] Checkout"
        assert sent.body == "Checkout is failing"
        assert sent.alternatives[0][1] == "text/html"
        assert sent.extra_headers["Message-ID"] == reference and "beacon-42" in reference

    @pytest.mark.parametrize(
        ("error", "kind"),
        [
            (
                smtplib.SMTPRecipientsRefused({"x@example.com": (550, b"no such user")}),
                PermanentError,
            ),
            (smtplib.SMTPDataError(451, b"try later"), RetryableError),
            (smtplib.SMTPDataError(554, b"rejected"), PermanentError),
            (ConnectionRefusedError("refused"), RetryableError),
        ],
    )
    def test_smtp_failures_map(self, monkeypatch, error, kind):
        def refuse(self, *args, **kwargs):
            raise error

        monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
        with pytest.raises(kind):
            send("email", "x@example.com")


class TestSlack:
    def test_not_configured_is_permanent(self):
        with pytest.raises(PermanentError, match="SLACK_BOT_TOKEN"):
            send("slack", "incidents")

    def test_posts_with_the_delivery_id_in_metadata(self, fake_slack):
        reference = send("slack", "incidents")
        posted = fake_slack.messages("incidents")[0]
        assert posted.text == "Checkout is failing"
        assert posted.metadata == {
            "event_type": "beacon_delivery",
            "event_payload": {"delivery_id": 42},
        }
        assert reference == f"{posted.channel}/{posted.ts}"

    def test_a_person_known_by_email_gets_a_direct_message(self, fake_slack):
        fake_slack.add_user("U0CORA", "cora", "cora@example.com")
        send("slack", "cora@example.com")
        assert [m.text for m in fake_slack.messages()] == ["Checkout is failing"]

    def test_an_unknown_person_is_permanent(self, fake_slack):
        with pytest.raises(PermanentError, match="users_not_found"):
            send("slack", "nobody@example.com")

    def test_rate_limited_is_retryable_with_the_wait(self, fake_slack):
        fake_slack.fail_next("chat.postMessage", error="ratelimited", retry_after=3)
        with pytest.raises(RetryableError) as error:
            send("slack", "incidents")
        assert error.value.retry_after == 3

    def test_down_is_retryable(self, fake_slack):
        fake_slack.set_down(True)
        with pytest.raises(RetryableError):
            send("slack", "incidents")

    @pytest.mark.parametrize("code", ["channel_not_found", "is_archived", "not_in_channel"])
    def test_a_bad_channel_is_permanent(self, fake_slack, code):
        fake_slack.fail_next("chat.postMessage", error=code)
        with pytest.raises(PermanentError, match=code):
            send("slack", "incidents")


def test_an_unregistered_channel_is_permanent():
    with pytest.raises(PermanentError, match="pigeon"):
        get_adapter("pigeon")


def test_retry_after_reads_seconds_and_dates():
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 < parse_retry_after(later) <= 30


def test_slack_text_cannot_become_markup():
    from notifications.rendering import render

    content = render(
        "slack",
        "declared",
        {
            "headline": "<!channel> & <https://evil|click>",
            "body": "a > b",
            "facts": [("x", "<@U1>")],
        },
    )
    assert "<!channel>" not in content["text"] and "&lt;!channel&gt; &amp;" in content["text"]
    assert "a &gt; b" in content["text"] and "&lt;@U1&gt;" in content["text"]
