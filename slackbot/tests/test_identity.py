"""A Slack identity cannot be claimed: a Slack member id is linked to one Beacon account at most,
linking is proven (`/incident link` sends a signed one-time link the signed-in portal user
confirms; or one active account has the member's e-mail), unlinking works from both sides, and
every link and unlink is recorded."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from core.models import AppendOnlyError
from incidents import services
from incidents.models import SlackIdentityEvent, SlackLinkMethod
from incidents.tests import factories
from people.models import UserPreference
from slackbot.tests.slack_requests import SECRET, command

pytestmark = pytest.mark.django_db

LINK = re.compile(r"<(http://beacon\.test(/preferences/slack/link/[^/|>]+/))\|")


@pytest.fixture
def slack(fake_slack, settings, commander_user, responder_user):
    settings.SLACK_SIGNING_SECRET = SECRET
    fake_slack.add_user("U0CORA", "cora", commander_user.email)
    fake_slack.add_user("U0RUDY", "rudy", responder_user.email)
    fake_slack.add_user("U0JEAN", "Jean Dupont", "jean@elsewhere.example")
    return fake_slack


def link(user, slack_user_id, method=SlackLinkMethod.SLACK_COMMAND, actor=None):
    return services.slack_identity_link(
        user=user, slack_user_id=slack_user_id, method=method, actor=actor or user
    )


def slack_id(user):
    return UserPreference.objects.filter(user=user).values_list("slack_user_id", flat=True).first()


def events(user):
    return list(
        SlackIdentityEvent.objects.filter(user=user).values_list(
            "action", "slack_user_id", "method", "actor__username"
        )
    )


# --- the services ------------------------------------------------------------------------------


def test_a_slack_id_is_linked_to_one_account_at_most_in_the_database(
    commander_user, responder_user
):
    UserPreference.objects.create(user=commander_user, slack_user_id="U0CORA")
    UserPreference.objects.create(user=factories.UserFactory(), slack_user_id="")
    UserPreference.objects.create(user=factories.UserFactory(), slack_user_id="")
    with pytest.raises(IntegrityError), transaction.atomic():
        UserPreference.objects.create(user=responder_user, slack_user_id="U0CORA")


def test_linking_and_unlinking_are_recorded(commander_user):
    link(commander_user, "U0CORA")
    assert slack_id(commander_user) == "U0CORA"
    services.slack_identity_unlink(
        user=commander_user, method=SlackLinkMethod.PORTAL, actor=commander_user
    )
    assert slack_id(commander_user) == ""
    assert events(commander_user) == [
        ("linked", "U0CORA", "slack_command", "cora"),
        ("unlinked", "U0CORA", "portal", "cora"),
    ]
    event = SlackIdentityEvent.objects.first()
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


def test_an_id_linked_to_another_account_is_refused_with_how_to_unlink(
    commander_user, responder_user
):
    link(commander_user, "U0CORA")
    with pytest.raises(ValidationError) as refused:
        link(responder_user, "U0CORA")
    assert "linked to another Beacon account" in str(refused.value)
    assert "/incident unlink" in str(refused.value)
    assert slack_id(commander_user) == "U0CORA" and not slack_id(responder_user)
    assert not events(responder_user)


def test_an_account_linked_to_another_id_must_unlink_first(commander_user):
    link(commander_user, "U0CORA")
    with pytest.raises(ValidationError, match="Unlink it first"):
        link(commander_user, "U0OTHER")
    assert slack_id(commander_user) == "U0CORA"


@pytest.mark.parametrize("bad", ["", "cora", "u0cora", "U0CORA\x00", "C0GENERAL", "U" * 40])
def test_only_a_slack_member_id_can_be_linked(commander_user, bad):
    with pytest.raises(ValidationError):
        link(commander_user, bad)
    assert not SlackIdentityEvent.objects.exists()


def test_unlinking_an_account_that_is_not_linked_is_refused(commander_user):
    with pytest.raises(ValidationError, match="not linked"):
        services.slack_identity_unlink(
            user=commander_user, method=SlackLinkMethod.PORTAL, actor=commander_user
        )


def test_only_an_administrator_links_or_unlinks_someone_else(
    commander_user, responder_user, admin_user
):
    with pytest.raises(PermissionDenied):
        link(commander_user, "U0CORA", method=SlackLinkMethod.ADMIN, actor=responder_user)
    link(commander_user, "U0CORA", method=SlackLinkMethod.ADMIN, actor=admin_user)
    with pytest.raises(PermissionDenied):
        services.slack_identity_unlink(
            user=commander_user, method=SlackLinkMethod.ADMIN, actor=responder_user
        )
    assert events(commander_user) == [("linked", "U0CORA", "admin", "admin")]


# --- linking by e-mail -------------------------------------------------------------------------


def test_one_active_account_with_the_email_is_linked_whatever_its_case(
    client, slack, commander_user
):
    slack.users["U0CORA"].email = commander_user.email.upper()
    factories.UserFactory(username="old-cora", email=commander_user.email, is_active=False)
    assert "not linked" not in command(client, "status").json()["text"]
    assert slack_id(commander_user) == "U0CORA"
    assert events(commander_user) == [("linked", "U0CORA", "email_match", None)]


def test_two_accounts_with_the_email_link_neither(client, slack, commander_user):
    twin = factories.UserFactory(username="cora2", email=commander_user.email.upper())
    body = command(client, "status").json()
    assert "not linked" in body["text"]
    assert not slack_id(commander_user) and not slack_id(twin)


def test_an_email_match_never_overwrites_a_link(client, slack, commander_user):
    link(commander_user, "U0CORA2")
    slack.add_user("U0CORA2", "cora", "cora-other@example.com")
    body = command(client, "status").json()  # U0CORA: same e-mail as cora's account
    assert "not linked" in body["text"]
    assert slack_id(commander_user) == "U0CORA2"


def test_an_email_match_never_undoes_an_unlink(client, slack, commander_user):
    link(commander_user, "U0CORA")
    services.slack_identity_unlink(
        user=commander_user, method=SlackLinkMethod.PORTAL, actor=commander_user
    )
    body = command(client, "status").json()
    assert "not linked" in body["text"] and "/incident link" in body["text"]
    assert not slack_id(commander_user)


def test_a_link_cleared_as_unproven_comes_back_by_email(client, slack, commander_user):
    SlackIdentityEvent.objects.create(  # what migration 0011 records
        user=commander_user, slack_user_id="U0CORA", action="unlinked", method="unproven"
    )
    assert "not linked" not in command(client, "status").json()["text"]
    assert slack_id(commander_user) == "U0CORA"


def test_the_not_linked_answer_says_to_run_link(client, slack):
    body = command(client, "status", user="U0JEAN").json()
    assert body["response_type"] == "ephemeral"
    assert "/incident link" in body["text"] and "Preferences" not in body["text"]


def test_help_lists_link_and_unlink(client, slack):
    text = command(client, "help").json()["text"]
    assert "`/incident link`" in text and "`/incident unlink`" in text


# --- /incident link, confirmed in the portal ----------------------------------------------------


def link_url(client, slack, user="U0JEAN"):
    body = command(client, "link", user=user).json()
    assert body["response_type"] == "ephemeral", body
    found = LINK.search(body["text"])
    assert found, body["text"]
    return found.group(2)


def test_link_in_slack_then_confirm_in_the_portal(client, slack, commander_user):
    url = link_url(client, slack)
    client.force_login(commander_user)
    page = client.get(url)
    assert page.status_code == 200
    assert "Link Slack member <code>U0JEAN</code> (Jean Dupont) to your Beacon account" in page.text
    assert not slack_id(commander_user)  # a GET changes nothing
    confirmed = client.post(url)
    assert confirmed.status_code == 302 and confirmed.url == reverse("portal:preferences")
    assert slack_id(commander_user) == "U0JEAN"
    assert events(commander_user) == [("linked", "U0JEAN", "slack_command", "cora")]
    body = command(client, "status", user="U0JEAN").json()
    assert "not linked" not in body["text"]


def test_the_link_asks_to_sign_in_first(client, slack):
    url = link_url(client, slack)
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_a_link_works_once(client, slack, commander_user, responder_user):
    url = link_url(client, slack)
    client.force_login(commander_user)
    client.post(url)
    services.slack_identity_unlink(
        user=commander_user, method=SlackLinkMethod.PORTAL, actor=commander_user
    )
    client.force_login(responder_user)
    again = client.post(url)
    assert again.status_code == 400 and "already been used" in again.text
    assert not slack_id(responder_user)


def test_a_link_expires_after_ten_minutes(client, slack, commander_user):
    url = link_url(client, slack)
    client.force_login(commander_user)
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        response = client.post(url)
    assert response.status_code == 400 and "expired" in response.text
    assert not slack_id(commander_user)


def test_a_forged_link_is_refused(client, slack, commander_user):
    url = link_url(client, slack)
    token = url.split("/")[-2]
    payload = {"slack_user_id": "U0CORA", "nonce": "n"}
    forged = [
        token[:-3] + ("abc" if not token.endswith("abc") else "xyz"),  # signature changed
        signing.dumps(payload, key="not-our-secret", salt="beacon.slack-link"),
        signing.dumps(payload, salt="another.purpose"),
        "not-a-token",
    ]
    client.force_login(commander_user)
    for bad in forged:
        response = client.post(reverse("portal:slack-link", args=[bad]))
        assert response.status_code == 400 and "not a valid link" in response.text
    assert not slack_id(commander_user)


def test_a_link_for_an_id_linked_elsewhere_meanwhile_is_refused(
    client, slack, commander_user, responder_user, admin_user
):
    url = link_url(client, slack)
    link(responder_user, "U0JEAN", method=SlackLinkMethod.ADMIN, actor=admin_user)
    client.force_login(commander_user)
    response = client.post(url)
    assert response.status_code == 400 and "linked to another Beacon account" in response.text
    assert not slack_id(commander_user)


def test_link_when_already_linked_says_how_to_unlink(client, slack, commander_user):
    link(commander_user, "U0JEAN")
    body = command(client, "link", user="U0JEAN").json()
    assert "already linked" in body["text"] and "/incident unlink" in body["text"]
    assert not LINK.search(body["text"])


def test_confirming_for_an_account_linked_to_another_id_is_refused(client, slack, commander_user):
    url = link_url(client, slack)
    link(commander_user, "U0CORA")
    client.force_login(commander_user)
    response = client.post(url)
    assert response.status_code == 400 and "Unlink it first" in response.text
    assert slack_id(commander_user) == "U0CORA"


def test_unlink_from_slack(client, slack, commander_user):
    link(commander_user, "U0JEAN")
    body = command(client, "unlink", user="U0JEAN").json()
    assert body["response_type"] == "ephemeral" and "no longer linked" in body["text"]
    assert not slack_id(commander_user)
    assert events(commander_user)[-1] == ("unlinked", "U0JEAN", "slack_command", "cora")
    assert "not linked" in command(client, "unlink", user="U0JEAN").json()["text"]


# --- Preferences -------------------------------------------------------------------------------


def test_preferences_do_not_take_a_slack_id(client, commander_user):
    client.force_login(commander_user)
    url = reverse("portal:preferences")
    assert 'name="slack_user_id"' not in client.get(url).text
    client.post(url, {"time_zone": "UTC", "phone": "", "slack_user_id": "U0CEO"})
    assert not slack_id(commander_user)


def test_preferences_show_the_link_and_unlink_it(client, commander_user):
    client.force_login(commander_user)
    url = reverse("portal:preferences")
    assert "/incident link" in client.get(url).text
    link(commander_user, "U0CORA")
    page = client.get(url).text
    assert "U0CORA" in page and reverse("portal:slack-unlink") in page
    response = client.post(reverse("portal:slack-unlink"))
    assert response.status_code == 302 and not slack_id(commander_user)
    assert events(commander_user)[-1] == ("unlinked", "U0CORA", "portal", "cora")
    refused = client.post(reverse("portal:slack-unlink"), follow=True)
    assert "not linked" in refused.text


# --- the admin ---------------------------------------------------------------------------------


def test_the_admin_shows_the_slack_id_read_only_and_unlinks_through_the_service(
    admin_client, commander_user
):
    link(commander_user, "U0CORA")
    preference = UserPreference.objects.get(user=commander_user)
    change = reverse("admin:people_userpreference_change", args=[preference.pk])
    page = admin_client.get(change).text
    assert "U0CORA" in page and 'name="slack_user_id"' not in page
    admin_client.post(change, {"user": commander_user.pk, "time_zone": "UTC", "phone": ""})
    admin_client.post(
        reverse("admin:people_userpreference_changelist"),
        {"action": "unlink_slack", "_selected_action": [preference.pk]},
    )
    assert not slack_id(commander_user)
    assert events(commander_user)[-1] == ("unlinked", "U0CORA", "admin", "admin")


def test_the_admin_shows_the_audit_read_only(admin_client, commander_user):
    link(commander_user, "U0CORA")
    event = SlackIdentityEvent.objects.get()
    changelist = reverse("admin:incidents_slackidentityevent_changelist")
    assert "U0CORA" in admin_client.get(changelist).text
    assert admin_client.get(reverse("admin:incidents_slackidentityevent_add")).status_code == 403
    change = reverse("admin:incidents_slackidentityevent_change", args=[event.pk])
    assert admin_client.get(change).status_code == 200
    admin_client.post(change, {"slack_user_id": "U0EVIL"})
    event.refresh_from_db()
    assert event.slack_user_id == "U0CORA"


def test_link_answers_in_the_members_language(client, slack):
    slack.add_user("U0ANNE", "anne", "anne@elsewhere.example", locale="fr-FR")
    assert "en étant connecté à Beacon" in command(client, "link", user="U0ANNE").json()["text"]
    assert "Lancez `/incident link`" in command(client, "status", user="U0ANNE").json()["text"]
