"""Local fake HTTP servers standing in for third-party services in tests and benchmarks."""

from .fake_http import FakeHttpServer, RecordedRequest, Response
from .fake_slack import FakeSlack, SlackChannel, SlackMessage, SlackUser
from .fake_webhook import FakeWebhookReceiver, ScriptedResponse, verify_signature

__all__ = [
    "FakeHttpServer",
    "FakeSlack",
    "FakeWebhookReceiver",
    "RecordedRequest",
    "Response",
    "ScriptedResponse",
    "SlackChannel",
    "SlackMessage",
    "SlackUser",
    "verify_signature",
]
