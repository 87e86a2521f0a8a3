"""The response policy's review tells people: a submitted version asks the sign-off teams'
leads, a version in force tells its author. Without Slack configured, by email."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from notifications.models import Notification, NotificationEvent
from policy import services as policy_services
from policy.tests import factories as pf

pytestmark = pytest.mark.django_db

SIGN_OFF = NotificationEvent.POLICY_SIGN_OFF


@pytest.fixture
def w():
    return pf.world()


@pytest.fixture
def severities(sev1, sev2):
    return [sev1, sev2]


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Run a service and send what it wrote to the outbox; returns the emails sent."""

    def _send(service, /, **kwargs):
        before = len(mail.outbox)
        with django_capture_on_commit_callbacks(execute=True):
            service(**kwargs)
        return {m.to[0]: m for m in mail.outbox[before:]}

    return _send


def test_submit_asks_every_sign_off_lead_and_nobody_else(w, severities, send):
    version = pf.draft(w.mona, severities, summary="Faster SEV2 updates.")

    sent = send(policy_services.policy_submit, actor=w.mona, version=version)

    assert sorted(sent) == ["cora@example.com", "pat@example.com"]  # not Gina, Paul, Mona
    message = sent["pat@example.com"]
    assert message.subject == "Response policy v1 awaits your sign-off"
    assert "Faster SEV2 updates." in message.body
    assert "Sign-off needed from: Payments, Platform" in message.body
    assert "Author: Mona" in message.body
    assert "http://beacon.test/policy/" in message.body
    assert Notification.objects.get().content["data"]["policy_version"] == 1


def test_a_lead_who_wrote_the_version_is_not_asked(w, severities, send):
    cora = pf.grant(w.cora, "change_policyversion")
    version = pf.draft(cora, severities)

    sent = send(policy_services.policy_submit, actor=cora, version=version)

    assert list(sent) == ["pat@example.com"]


def test_a_refused_submission_tells_nobody(w, sev1, sev2, send):
    version = pf.draft(w.mona, [sev1])  # SEV2 has no level
    with pytest.raises(ValidationError):
        send(policy_services.policy_submit, actor=w.mona, version=version)
    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_the_author_hears_when_the_last_sign_off_makes_it_effective(w, severities, send):
    version = pf.draft(w.mona, severities)
    send(policy_services.policy_submit, actor=w.mona, version=version)

    first = send(policy_services.policy_sign_off, actor=w.cora, version=version, team=w.platform)
    last = send(policy_services.policy_sign_off, actor=w.pat, version=version, team=w.payments)

    assert first == {}
    assert list(last) == ["mona@example.com"]
    assert last["mona@example.com"].subject == "Response policy v1 is now in force"
    assert "Last sign-off: Pat Kim" in last["mona@example.com"].body
    assert Notification.objects.filter(event=SIGN_OFF).count() == 1  # the request to sign
    assert Notification.objects.filter(event=NotificationEvent.POLICY_EFFECTIVE).count() == 1
