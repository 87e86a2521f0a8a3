"""Logins resist guessing: django-axes locks a username at one client IP after a few failures,
on the portal and the admin login alike, until a cool-off passes or someone unlocks it."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.admin import helpers
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse

from incidents import roles
from incidents.tests import factories

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
RIGHT = "pass-word-123"  # factories.UserFactory's
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def cora():
    return factories.commander(username="cora")


def log_in(client, username, password, *, ip="203.0.113.7", path=LOGIN, **headers):
    return client.post(
        path, {"username": username, "password": password}, REMOTE_ADDR=ip, **headers
    )


def logged_in_as(client):
    return client.session.get("_auth_user_id")


def fail(client, times, username="cora", **kwargs):
    return [log_in(client, username, "wrong", **kwargs).status_code for _ in range(times)]


def assert_locked(response):
    assert response.status_code == 429
    content = response.content.decode()
    assert "Too many failed logins" in content
    assert "try again" in content.lower()
    assert int(response["Retry-After"]) > 0


def test_thirty_wrong_passwords_lock_the_account_even_for_the_right_password(client, cora):
    statuses = fail(client, 30)
    assert statuses[:4] == [200] * 4  # the form says the password is wrong
    assert set(statuses[4:]) == {429}

    response = log_in(client, "cora", RIGHT)
    assert_locked(response)
    assert logged_in_as(client) is None


def test_the_lockout_page_says_when_to_try_again(client, cora):
    with time_machine.travel(START, tick=False):
        fail(client, 5)
        response = log_in(client, "cora", RIGHT)
    assert_locked(response)
    assert int(response["Retry-After"]) == 15 * 60
    assert "09:15" in response.content.decode()  # the last failure + 15 minutes, in UTC


def test_another_ip_or_another_user_is_not_locked(client, cora):
    factories.responder(username="rudy")
    fail(client, 5, ip="203.0.113.7")
    assert_locked(log_in(client, "cora", RIGHT, ip="203.0.113.7"))

    assert log_in(Client(), "cora", RIGHT, ip="198.51.100.20").status_code == 302
    assert log_in(Client(), "rudy", RIGHT, ip="203.0.113.7").status_code == 302


def test_the_cool_off_ends_the_lockout(client, cora):
    with time_machine.travel(START, tick=False) as clock:
        fail(client, 5)
        clock.shift(timedelta(minutes=14))
        assert_locked(log_in(client, "cora", RIGHT))  # still locked, and the try counts
        clock.shift(timedelta(minutes=14))
        assert_locked(log_in(client, "cora", RIGHT))
        clock.shift(timedelta(minutes=16))
        assert log_in(client, "cora", RIGHT).status_code == 302
        assert logged_in_as(client) == str(cora.pk)


def test_a_successful_login_resets_the_count(client, cora):
    fail(client, 4)
    assert log_in(client, "cora", RIGHT).status_code == 302
    client.post("/accounts/logout/")
    assert fail(client, 4) == [200] * 4


def test_the_admin_login_locks_out_too(client, cora):
    cora.is_staff = True
    cora.save(update_fields=["is_staff"])
    statuses = fail(client, 6, path=ADMIN_LOGIN)
    assert statuses[:4] == [200] * 4 and statuses[4:] == [429, 429]
    assert_locked(log_in(client, "cora", RIGHT, path=ADMIN_LOGIN))
    # One lockout for the person, whichever door they knock on.
    assert_locked(log_in(client, "cora", RIGHT))


@pytest.fixture
def coordinator_client():
    coordinator = factories.UserFactory(username="kim", is_staff=True, groups=[roles.COORDINATORS])
    client = Client()
    client.force_login(coordinator)
    return client


def test_a_coordinator_unlocks_from_the_admin(client, cora, coordinator_client):
    fail(client, 5)
    assert_locked(log_in(client, "cora", RIGHT))

    changelist = reverse("admin:axes_accessattempt_changelist")
    page = coordinator_client.get(changelist)
    assert page.status_code == 200
    assert "cora" in page.content.decode()

    attempts = list(AccessAttempt.objects.filter(username="cora").values_list("pk", flat=True))
    confirm = coordinator_client.post(
        changelist,
        {"action": "delete_selected", helpers.ACTION_CHECKBOX_NAME: attempts, "post": "yes"},
    )
    assert confirm.status_code == 302
    assert not AccessAttempt.objects.filter(username="cora").exists()

    assert log_in(client, "cora", RIGHT).status_code == 302


def test_a_user_outside_the_admin_cannot_unlock(client, cora):
    fail(client, 5)
    outsider = Client()
    outsider.force_login(factories.responder(username="rudy", is_staff=True))
    assert outsider.get(reverse("admin:axes_accessattempt_changelist")).status_code == 403


# --- which IP is the client's -----------------------------------------------------------------


def test_by_default_a_forwarded_for_header_changes_nothing(client, cora):
    """Without a proxy in front, X-Forwarded-For comes from the client: never trusted."""
    for n in range(5):
        log_in(client, "cora", "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    assert_locked(log_in(client, "cora", RIGHT, HTTP_X_FORWARDED_FOR="192.0.2.99"))


def test_behind_one_proxy_the_client_is_the_address_the_proxy_saw(client, cora, settings):
    settings.BEACON_PROXY_COUNT = 1
    proxy = {"ip": "10.0.0.2"}
    for n in range(5):  # the attacker prepends made-up addresses; the proxy appends theirs
        log_in(client, "cora", "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 203.0.113.7", **proxy)
    assert_locked(log_in(client, "cora", RIGHT, HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy))

    other = log_in(Client(), "cora", RIGHT, HTTP_X_FORWARDED_FOR="198.51.100.20", **proxy)
    assert other.status_code == 302


# --- test clients keep working with axes' backend first ---------------------------------------


def test_test_clients_log_in_the_idiomatic_ways(cora):
    """Axes needs the request in authenticate(): Client.login gets a blank one."""
    client = Client()
    assert client.login(request=HttpRequest(), username="cora", password=RIGHT)
    assert client.get("/").status_code == 200

    forced = Client()
    forced.force_login(cora)
    assert forced.get("/").status_code == 200
