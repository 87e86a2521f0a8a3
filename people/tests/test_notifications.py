"""A change that leaves a function without a backup tells the incident coordinators (and the
team's leads): once, when it happens. Without Slack configured, by email."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import roles
from incidents.tests import factories
from notifications.models import Notification, NotificationEvent
from people import services as people_services
from people.models import Delegation
from people.tests.setup import away, build_org, coordinator

pytestmark = pytest.mark.django_db

SPOF = NotificationEvent.SINGLE_POINT_OF_FAILURE


@pytest.fixture
def org():
    return build_org()


@pytest.fixture
def kim():
    """Allowed to change delegates, but not in the coordinators group: not told."""
    return coordinator()


@pytest.fixture
def kira():
    return factories.UserFactory(
        username="kira", first_name="Kira", last_name="Lund", groups=[roles.COORDINATORS]
    )


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Run a service and send what it wrote to the outbox; returns the emails sent."""

    def _send(service, /, **kwargs):
        before = len(mail.outbox)
        with django_capture_on_commit_callbacks(execute=True):
            service(**kwargs)
        return {m.to[0]: m for m in mail.outbox[before:]}

    return _send


def holiday(days_from_now=0, days=3):
    start = timezone.now() + timedelta(days=days_from_now, minutes=-1)
    return {"starts_at": start, "ends_at": start + timedelta(days=days), "reason": "holiday"}


def test_a_window_leaving_one_delegate_tells_the_coordinators_once(org, kim, kira, send):
    sent = send(people_services.unavailability_add, actor=org.gina, user=org.gina, **holiday())

    assert list(sent) == ["kira@example.com"]  # organisation scope: no team lead
    message = sent["kira@example.com"]
    assert message.subject == "No backup left for Responder (Organisation)"
    assert "Gina Growth is unavailable (holiday) from " in message.body
    assert "Delegates: Rudy Okafor, Gina Growth" in message.body
    assert "Available: 1 of 2 delegates available from " in message.body
    assert "http://beacon.test/delegates/" in message.body
    data = Notification.objects.get(event=SPOF).content["data"]
    assert (data["function"], data["team"], data["fewest_available"]) == ("responder", None, 1)

    # Still one delegate: a longer window, or someone else's, says nothing new.
    window = org.gina.unavailabilities.get()
    assert (
        send(people_services.unavailability_update, actor=org.gina, window=window, note="Rome")
        == {}
    )
    assert send(people_services.unavailability_add, actor=kim, user=org.cora, **holiday(20)) == {}
    assert Notification.objects.filter(event=SPOF).count() == 1


def test_a_window_in_the_coming_days_counts(org, kira, send):
    sent = send(people_services.unavailability_add, actor=org.rudy, user=org.rudy, **holiday(5))
    assert "Responder (Organisation)" in sent["kira@example.com"].subject


def test_moving_a_window_into_the_horizon_counts(org, kira, send):
    window = away(org.rudy, starts_in=timedelta(days=30))
    sent = send(
        people_services.unavailability_update, actor=org.rudy, window=window, **holiday(days=2)
    )
    assert list(sent) == ["kira@example.com"]


def test_removing_a_team_delegate_tells_the_team_lead_too(org, kim, kira, send):
    cora_for_payments = Delegation.objects.get(function=org.commander, team=org.payments, rank=2)

    sent = send(people_services.delegation_remove, actor=kim, delegation=cora_for_payments)

    assert sorted(sent) == ["kira@example.com", "pat@example.com"]  # Pat leads Payments
    message = sent["pat@example.com"]
    assert message.subject == "No backup left for Incident commander (Payments)"
    assert (
        "Kim Novak removed Cora Diaz from the delegates of Incident commander (Payments)."
        in message.body
    )


def test_moving_a_delegate_away_tells_about_the_scope_they_left(org, kim, kira, send):
    gina = Delegation.objects.get(function=org.responder, user=org.gina)

    sent = send(
        people_services.delegation_set,
        actor=kim,
        function=org.comms,
        team=None,
        user=org.gina,
        rank=2,
        delegation=gina,
    )

    assert sent["kira@example.com"].subject == "No backup left for Responder (Organisation)"
    assert "Gina Growth now holds Communications lead (Organisation) at rank 2." in (
        sent["kira@example.com"].body
    )


def test_changes_that_keep_a_backup_tell_nobody(org, kim, kira, send):
    added = send(
        people_services.delegation_set,
        actor=kim,
        function=org.comms,
        team=None,
        user=org.gina,
        rank=2,
    )
    assert added == {}
    beyond_the_horizon = holiday(days_from_now=20)
    assert (
        send(people_services.unavailability_add, actor=kim, user=org.cora, **beyond_the_horizon)
        == {}
    )
    assert (
        send(
            people_services.delegations_reorder,
            actor=kim,
            function=org.responder,
            team=None,
            users_in_order=[org.gina, org.rudy],
        )
        == {}
    )
    assert not Notification.objects.exists()


def test_a_refused_change_tells_nobody(org, kim, kira, send):
    with pytest.raises(ValidationError):
        send(
            people_services.delegation_set,
            actor=kim,
            function=org.responder,
            team=None,
            user=org.cora,
            rank=1,  # Rudy's
            delegation=Delegation.objects.get(function=org.responder, user=org.gina),
        )
    assert not Notification.objects.exists()


def test_the_coverage_check_costs_the_same_however_many_functions(org, kim, kira):
    def queries_to_add_a_window():
        user = factories.UserFactory()
        with CaptureQueriesContext(connection) as captured:
            people_services.unavailability_add(actor=kim, user=user, **holiday())
        return len(captured)

    queries_to_add_a_window()  # Kim's permissions are cached from here on
    few = queries_to_add_a_window()
    for n in range(5):
        function = factories.CriticalFunctionFactory(name=f"Function {n}", slug=f"function-{n}")
        for rank, user in enumerate([org.rudy, org.gina], start=1):
            Delegation.objects.create(function=function, team=org.payments, user=user, rank=rank)
    assert queries_to_add_a_window() == few


def test_an_absence_coming_into_view_is_told_once_by_the_daily_check(org, kira):
    from people.announce import horizon_reached

    # Rudy's holiday starts in 13½ days: today's 14-day view sees it, yesterday's did not.
    away(org.rudy, starts_in=timedelta(days=13, hours=12))
    told = horizon_reached()
    assert [n.subject for n in told] == ["No backup left for Responder (Organisation)"]
    assert "A planned absence in the coming 14 days" in told[0].content["email"]["text"]
    assert horizon_reached() == []  # a second run the same day tells nobody again


def test_the_daily_check_leaves_what_changes_already_told(org, kira, send):
    from people.announce import horizon_reached

    send(people_services.unavailability_add, actor=org.gina, user=org.gina, **holiday())
    assert horizon_reached() == []  # already a single point of failure a day ago
