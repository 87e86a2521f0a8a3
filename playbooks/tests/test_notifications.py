"""The playbook review tells people: a submitted version asks its service's approvers, a decision
tells the author. Without Slack configured, people are reached by email."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.core.exceptions import ValidationError
from guardian.shortcuts import assign_perm

from incidents.tests.factories import UserFactory
from notifications.models import DeliveryStatus, Notification, NotificationEvent
from playbooks import services
from playbooks.tests.factories import PlaybookFactory

pytestmark = pytest.mark.django_db

SUBMITTED = NotificationEvent.PLAYBOOK_SUBMITTED
DECIDED = NotificationEvent.PLAYBOOK_DECIDED


def mails(event):
    """{address: message} of the emails sent for `event`."""
    subjects = set(Notification.objects.filter(event=event).values_list("subject", flat=True))
    return {m.to[0]: m for m in mail.outbox if any(s in m.subject for s in subjects)}


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Run a service and send what it wrote to the outbox."""

    def _send(service, /, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    return _send


@pytest.fixture
def draft(author, checkout):
    return services.playbook_version_create(
        actor=author,
        playbook=PlaybookFactory(service=checkout, title="Checkout: first response"),
        content="1. Check the dashboard",
        steps=[{"text": "Roll back"}],
    )


class TestSubmitted:
    def test_the_service_approvers_are_asked_and_nobody_else(
        self, author, checkout, search, approvers, draft, send
    ):
        group = Group.objects.create(name="Checkout reviewers")
        assign_perm("catalog.approve_playbook", group, checkout)
        by_group = UserFactory(username="gus")
        by_group.groups.add(group)
        model_wide = UserFactory(username="mo")
        model_wide.user_permissions.add(Permission.objects.get(codename="approve_playbook"))
        other_service = UserFactory(username="sid")
        assign_perm("catalog.approve_playbook", other_service, search)
        assign_perm("catalog.approve_playbook", author, checkout)  # still never asked
        UserFactory(username="root", is_superuser=True)
        UserFactory(username="gone", is_active=False).groups.add(group)

        send(services.playbook_version_submit, actor=author, version=draft)

        assert sorted(mails(SUBMITTED)) == [
            "bea@example.com",
            "cy@example.com",
            "gus@example.com",
            "mo@example.com",
        ]
        notification = Notification.objects.get(event=SUBMITTED)
        assert notification.audience == "people"
        assert set(notification.deliveries.values_list("status", flat=True)) == {
            DeliveryStatus.SENT
        }

    def test_the_message_names_the_service_version_and_link(self, author, approvers, draft, send):
        send(services.playbook_version_submit, actor=author, version=draft)

        message = mails(SUBMITTED)["bea@example.com"]
        assert message.subject == "Playbook for Checkout v1 awaits your review"
        assert "ada wrote it; it needs 2 approvals." in message.body
        assert "Playbook: Checkout: first response" in message.body
        assert "http://beacon.test/playbooks/checkout/" in message.body
        data = Notification.objects.get(event=SUBMITTED).content["data"]
        assert (data["service"], data["version"], data["status"]) == ("checkout", 1, "in_review")

    def test_who_submits_someone_elses_draft_is_not_asked(self, approvers, draft, send):
        send(services.playbook_version_submit, actor=approvers[0], version=draft)
        assert list(mails(SUBMITTED)) == ["cy@example.com"]

    def test_a_refused_submission_tells_nobody(self, author, checkout, approvers, send):
        empty = services.playbook_version_create(
            actor=author, playbook=PlaybookFactory(service=checkout), content="", steps=[]
        )
        with pytest.raises(ValidationError):
            send(services.playbook_version_submit, actor=author, version=empty)
        assert not Notification.objects.exists()
        assert mail.outbox == []


class TestDecided:
    def test_the_author_hears_once_the_last_approval_is_in(self, author, approvers, draft, send):
        version = send(services.playbook_version_submit, actor=author, version=draft)
        send(services.playbook_version_approve, actor=approvers[0], version=version)
        assert not Notification.objects.filter(event=DECIDED).exists()  # tier 1 needs two

        send(
            services.playbook_version_approve,
            actor=approvers[1],
            version=version,
            comment=" Clear steps. ",
        )

        assert list(mails(DECIDED)) == ["ada@example.com"]
        message = mails(DECIDED)["ada@example.com"]
        assert message.subject == "Playbook for Checkout v1 is approved"
        assert "Clear steps." in message.body
        assert "Approved by: bea, cy" in message.body

    def test_a_rejection_tells_the_author_what_to_change(self, author, approvers, draft, send):
        version = send(services.playbook_version_submit, actor=author, version=draft)
        send(
            services.playbook_version_reject,
            actor=approvers[0],
            version=version,
            reason="Say which dashboard.",
        )

        assert list(mails(DECIDED)) == ["ada@example.com"]
        message = mails(DECIDED)["ada@example.com"]
        assert message.subject == "Playbook for Checkout v1 was rejected"
        assert "Say which dashboard." in message.body
        assert "Rejected by: bea" in message.body
        assert Notification.objects.get(event=DECIDED).content["data"]["status"] == "rejected"

    def test_a_refused_rejection_tells_nobody(self, author, approvers, draft, send):
        version = send(services.playbook_version_submit, actor=author, version=draft)
        with pytest.raises(ValidationError):
            send(services.playbook_version_reject, actor=approvers[0], version=version, reason=" ")
        assert not Notification.objects.filter(event=DECIDED).exists()
