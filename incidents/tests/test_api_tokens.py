"""API tokens: Beacon keeps a SHA-256 digest and a short prefix, never the key. One active
token per person, created, rotated and revoked by the services (from Preferences, the admin or
`manage.py api_token`); the API takes `Authorization: Token <key>`, records when a token was
last used, and throttles wrong tokens per client IP."""

import hashlib
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from incidents import roles, services
from incidents.models import ApiToken
from incidents.tests import factories
from incidents.tests.security_lines import events, parse

pytestmark = pytest.mark.django_db

API = "/api/v1/incidents/"
PREFERENCES = "/preferences/"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def cora():
    return factories.commander(username="cora")


def call_api(key, ip="203.0.113.7", path=API):
    return APIClient().get(path, HTTP_AUTHORIZATION=f"Token {key}", REMOTE_ADDR=ip)


# --- services -------------------------------------------------------------------------------


def test_a_new_key_is_returned_once_and_only_its_digest_is_kept(cora):
    token, key = services.api_token_create(user=cora, actor=cora, label="CI")
    assert len(key) >= 40
    token.refresh_from_db()
    assert token.digest == hashlib.sha256(key.encode()).hexdigest()
    assert token.prefix == key[:8] and token.label == "CI"
    stored = [str(value) for value in ApiToken.objects.values_list().get()]
    assert not any(key in value for value in stored)
    assert (token.created_by, token.revoked_at, token.last_used_at) == (cora, None, None)
    assert call_api(key).status_code == 200


def test_one_active_token_per_person(cora):
    services.api_token_create(user=cora, actor=cora)
    with pytest.raises(ValidationError, match="rotate"):
        services.api_token_create(user=cora, actor=cora)
    with pytest.raises(IntegrityError), transaction.atomic():
        ApiToken.objects.create(user=cora, prefix="abcdefgh", digest="0" * 64)
    assert ApiToken.objects.filter(user=cora).count() == 1


def test_rotating_invalidates_the_old_key(cora):
    old, old_key = services.api_token_create(user=cora, actor=cora, label="CI")
    new, new_key = services.api_token_rotate(user=cora, actor=cora)
    assert call_api(old_key).status_code == 401
    assert call_api(new_key).status_code == 200
    old.refresh_from_db()
    assert old.revoked_at == new.created_at and old.revoked_by == cora
    assert new.label == "CI"


def test_revoking_invalidates_the_key(cora):
    _token, key = services.api_token_create(user=cora, actor=cora)
    services.api_token_revoke(user=cora, actor=cora)
    assert call_api(key).status_code == 401
    with pytest.raises(ValidationError, match="no API token"):
        services.api_token_revoke(user=cora, actor=cora)
    with pytest.raises(ValidationError, match="no API token"):
        services.api_token_rotate(user=cora, actor=cora)


def test_only_the_owner_or_someone_allowed_manages_a_token(cora):
    _token, key = services.api_token_create(user=cora, actor=cora)
    rudy = factories.responder(username="rudy")
    with pytest.raises(PermissionDenied):
        services.api_token_revoke(user=cora, actor=rudy)
    with pytest.raises(PermissionDenied):
        services.api_token_rotate(user=cora, actor=rudy)
    assert call_api(key).status_code == 200

    kim = factories.UserFactory(username="kim", is_staff=True, groups=[roles.COORDINATORS])
    services.api_token_revoke(user=cora, actor=kim)
    assert ApiToken.objects.get(user=cora).revoked_by == kim


def test_an_inactive_account_gets_no_token_and_its_token_stops_working(cora):
    _token, key = services.api_token_create(user=cora, actor=cora)
    cora.is_active = False
    cora.save(update_fields=["is_active"])
    assert call_api(key).status_code == 401
    with pytest.raises(ValidationError, match="not active"):
        services.api_token_rotate(user=cora, actor=None)


# --- authentication -------------------------------------------------------------------------


def test_last_use_is_recorded_at_most_once_a_minute(cora, security_log):
    token, key = services.api_token_create(user=cora, actor=cora)
    with time_machine.travel(START, tick=False) as clock:
        assert call_api(key).status_code == 200
        token.refresh_from_db()
        assert token.last_used_at == START
        clock.shift(timedelta(seconds=30))
        assert call_api(key).status_code == 200
        token.refresh_from_db()
        assert token.last_used_at == START
        clock.shift(timedelta(seconds=31))
        assert call_api(key).status_code == 200
        token.refresh_from_db()
        assert token.last_used_at == START + timedelta(seconds=61)
    used = events(security_log, "token_used")
    assert [(e["user"], e["token"], e["path"]) for e in used] == [("cora", token.prefix, API)] * 2


def test_thirty_wrong_tokens_from_one_ip_are_throttled(cora, security_log):
    _token, key = services.api_token_create(user=cora, actor=cora)
    with time_machine.travel(START, tick=False) as clock:
        guesses = [call_api(f"{key[:8]}guess{n:035d}") for n in range(30)]
        statuses = [response.status_code for response in guesses]
        assert statuses[:10] == [401] * 10 and set(statuses[10:]) == {429}
        assert int(guesses[-1]["Retry-After"]) == 60
        # Once over the limit even the right key waits: answering it would confirm a guess.
        assert call_api(key).status_code == 429
        assert call_api(key, ip="198.51.100.20").status_code == 200
        clock.shift(timedelta(seconds=60))
        assert call_api(key).status_code == 200
    denied = events(security_log, "api_denied")
    assert [e["status"] for e in denied] == ["401"] * 10 + ["429"] * 21
    assert denied[0]["token"] == key[:8] and denied[0]["user"] == "-"


@pytest.mark.parametrize(
    "header",
    [
        "Token",
        "Token a b",
        "Token short",
        "Token " + "x" * 500,
        "Token abc\x00defghijklmnopqrstuvwxyz0123",
        "Token héllo-wörld-0123456789-abcdefghij",
        "Token ../../../../etc/passwd/0123456789",
    ],
)
def test_a_malformed_token_is_a_401(cora, header):
    response = APIClient().get(API, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_session_still_works_for_the_browser(cora):
    client = APIClient()
    client.force_login(cora)
    assert client.get(API).status_code == 200


# --- Preferences ----------------------------------------------------------------------------


@pytest.fixture
def browser(cora):
    client = Client()
    client.force_login(cora)
    return client


def test_preferences_show_a_new_token_exactly_once(browser, cora):
    page = browser.get(PREFERENCES).content.decode()
    assert "Create a token" in page

    created = browser.post(reverse("portal:api-token-create"), {"label": "Grafana"})
    assert created.status_code == 302 and created["Location"] == f"{PREFERENCES}#api-token"
    token = ApiToken.objects.get(user=cora)

    shown = browser.get(PREFERENCES)
    key = shown.context["new_api_token"]
    assert token.digest == hashlib.sha256(key.encode()).hexdigest()
    assert key in shown.content.decode()
    assert "no-store" in shown["Cache-Control"]
    assert key not in str(dict(browser.session))  # gone from the session after that render

    again = browser.get(PREFERENCES).content.decode()
    assert key not in again
    assert token.prefix in again and "Grafana" in again and "never used" in again


def test_preferences_rotate_and_revoke(browser, cora):
    browser.post(reverse("portal:api-token-create"))
    old_key = browser.get(PREFERENCES).context["new_api_token"]

    assert browser.post(reverse("portal:api-token-rotate")).status_code == 302
    new_key = browser.get(PREFERENCES).context["new_api_token"]
    assert new_key != old_key
    assert call_api(old_key).status_code == 401
    assert call_api(new_key).status_code == 200

    assert browser.post(reverse("portal:api-token-revoke")).status_code == 302
    page = browser.get(PREFERENCES)
    assert page.context["new_api_token"] is None
    assert "revoked" in page.content.decode()
    assert call_api(new_key).status_code == 401


def test_preferences_show_when_the_token_was_last_used(browser, cora):
    browser.post(reverse("portal:api-token-create"))
    key = browser.get(PREFERENCES).context["new_api_token"]
    with time_machine.travel(START, tick=False):
        call_api(key)
    page = browser.get(PREFERENCES).content.decode()
    assert "never used" not in page
    assert 'datetime="2026-03-02T09:00:00+00:00"' in page


def test_a_second_create_or_a_missing_token_is_told_not_failed(browser, cora):
    browser.post(reverse("portal:api-token-create"))
    again = browser.post(reverse("portal:api-token-create"), follow=True)
    assert again.status_code == 200
    assert "rotate" in " ".join(str(m) for m in again.context["messages"])
    assert ApiToken.objects.filter(user=cora).count() == 1

    browser.post(reverse("portal:api-token-revoke"))
    for action in ("rotate", "revoke"):
        page = browser.post(reverse(f"portal:api-token-{action}"), follow=True)
        assert page.status_code == 200
        assert "no API token" in " ".join(str(m) for m in page.context["messages"])


def test_a_label_too_long_is_refused_with_its_reason(browser, cora):
    page = browser.post(reverse("portal:api-token-create"), {"label": "x" * 101}, follow=True)
    assert "at most 100 characters" in " ".join(str(m) for m in page.context["messages"])
    assert not ApiToken.objects.exists()


def test_token_actions_are_posts_for_people_logged_in(browser):
    for action in ("create", "rotate", "revoke"):
        url = reverse(f"portal:api-token-{action}")
        assert browser.get(url).status_code == 405
        anonymous = Client().post(url)
        assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


# --- the command ----------------------------------------------------------------------------


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("api_token", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def test_the_command_prints_a_new_key_once(cora):
    key, note = run("cora")
    assert call_api(key).status_code == 200
    assert ApiToken.objects.get(user=cora).prefix in note

    rotated, _note = run("cora", "--rotate")
    assert call_api(key).status_code == 401 and call_api(rotated).status_code == 200

    printed, note = run("cora", "--revoke")
    assert printed == "" and "revoked" in note
    assert call_api(rotated).status_code == 401


@pytest.mark.parametrize(
    "args, message",
    [
        (["nobody"], "No user"),
        (["cora", "--rotate"], "no API token"),
        (["cora", "--revoke"], "no API token"),
    ],
)
def test_the_command_refuses_with_a_reason(cora, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_the_command_takes_one_action(cora):
    with pytest.raises(CommandError):
        run("cora", "--rotate", "--revoke")


# --- the admin ------------------------------------------------------------------------------


def test_the_admin_lists_tokens_and_revokes_them_but_shows_no_secret(admin_client, cora):
    token, key = services.api_token_create(user=cora, actor=cora)
    changelist = reverse("admin:incidents_apitoken_changelist")
    page = admin_client.get(changelist).content.decode()
    assert token.prefix in page and "cora" in page
    detail = admin_client.get(reverse("admin:incidents_apitoken_change", args=[token.pk]))
    assert detail.status_code == 200
    assert token.digest not in detail.content.decode()
    assert admin_client.get(reverse("admin:incidents_apitoken_add")).status_code == 403

    admin_client.post(
        changelist, {"action": "revoke_tokens", helpers.ACTION_CHECKBOX_NAME: [token.pk]}
    )
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by.username == "admin"
    assert call_api(key).status_code == 401


def test_a_coordinator_may_revoke_tokens_from_the_admin(cora):
    token, _key = services.api_token_create(user=cora, actor=cora)
    kim = Client()
    kim.force_login(
        factories.UserFactory(username="kim", is_staff=True, groups=[roles.COORDINATORS])
    )
    changelist = reverse("admin:incidents_apitoken_changelist")
    assert kim.get(changelist).status_code == 200
    kim.post(changelist, {"action": "revoke_tokens", helpers.ACTION_CHECKBOX_NAME: [token.pk]})
    token.refresh_from_db()
    assert token.revoked_at is not None


# --- the security log -----------------------------------------------------------------------


def test_token_events_are_logged_after_commit(
    cora, security_log, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        token, _key = services.api_token_create(user=cora, actor=cora)
        assert not events(security_log, "token_created")  # not before the commit
    with django_capture_on_commit_callbacks(execute=True):
        rotated, _key = services.api_token_rotate(user=cora, actor=cora)
    with django_capture_on_commit_callbacks(execute=True):
        services.api_token_revoke(user=cora, actor=None)
    logged = [
        (e["event"], e["user"], e["token"], e["actor"])
        for e in map(parse, security_log)
        if e["event"].startswith("token_")
    ]
    assert logged == [
        ("token_created", "cora", token.prefix, "cora"),
        ("token_rotated", "cora", rotated.prefix, "cora"),
        ("token_revoked", "cora", rotated.prefix, "manage.py"),
    ]
