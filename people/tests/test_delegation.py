"""Who holds a function, and the single points of failure, over time."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.tests import factories
from people.selectors import coverage, delegate_for, single_points_of_failure

pytestmark = pytest.mark.django_db


@pytest.fixture
def commander_function():
    return factories.CriticalFunctionFactory(
        name="Incident commander", slug="incident-commander", incident_field="commander"
    )


@pytest.fixture
def payments():
    return factories.TeamFactory(name="Payments", slug="payments")


def delegate(function, username, rank, team=None):
    user = factories.UserFactory(username=username, first_name=username.title())
    return factories.DelegationFactory(function=function, user=user, rank=rank, team=team)


def away(user, *, starts_in=timedelta(hours=-1), lasts=timedelta(days=3), reason="holiday"):
    start = timezone.now() + starts_in
    return factories.UnavailabilityFactory(
        user=user, starts_at=start, ends_at=start + lasts, reason=reason
    )


class TestDelegateFor:
    def test_primary_holds_when_available(self, commander_function):
        primary = delegate(commander_function, "cora", 1)
        delegate(commander_function, "rudy", 2)
        holder = delegate_for(function=commander_function)
        assert holder.user == primary.user
        assert holder.explanation == "primary delegate"

    def test_first_available_backup_stands_in_with_the_reason(self, commander_function):
        cora = delegate(commander_function, "cora", 1).user
        rudy = delegate(commander_function, "rudy", 2).user
        rudy.is_active = False
        rudy.save()
        pat = delegate(commander_function, "pat", 3).user
        away(cora)
        holder = delegate_for(function=commander_function)
        assert holder.user == pat
        assert [s.user.username for s in holder.skipped] == ["cora", "rudy"]
        assert "Cora is unavailable (holiday) until" in holder.explanation
        assert "Rudy has no active account" in holder.explanation
        assert holder.explanation.endswith("rank 3 stands in")

    def test_window_boundaries(self, commander_function):
        cora = delegate(commander_function, "cora", 1).user
        delegate(commander_function, "rudy", 2)
        window = away(cora, starts_in=timedelta(hours=2), lasts=timedelta(hours=4))
        assert delegate_for(function=commander_function).user == cora
        assert delegate_for(function=commander_function, at=window.starts_at).user != cora
        assert delegate_for(function=commander_function, at=window.ends_at).user == cora

    def test_team_without_anyone_available_falls_back_to_organisation(
        self, commander_function, payments
    ):
        pat = delegate(commander_function, "pat", 1, team=payments).user
        org = delegate(commander_function, "cora", 1).user
        assert delegate_for(function=commander_function, team=payments).user == pat
        away(pat)
        holder = delegate_for(function=commander_function, team=payments)
        assert holder.user == org and holder.team is None
        assert "Pat is unavailable" in holder.explanation

    def test_nobody(self, commander_function):
        holder = delegate_for(function=commander_function)
        assert holder.user is None and holder.explanation == "nobody holds this function"


class TestSinglePointsOfFailure:
    def test_lists_exactly_the_pairs_with_fewer_than_two_available(
        self, commander_function, payments
    ):
        comms = factories.CriticalFunctionFactory(name="Communications lead", slug="comms")
        scribe = factories.CriticalFunctionFactory(name="Scribe", slug="scribe")
        delegate(commander_function, "cora", 1)
        delegate(commander_function, "rudy", 2)  # organisation: two available, fine
        delegate(commander_function, "pat", 1, team=payments)  # payments: one person
        delegate(comms, "carl", 1)
        delegate(comms, "cleo", 2)
        away(factories.UserFactory(username="cleo"))  # comms: one available now
        # scribe (organisation): nobody at all
        pairs = {
            (r.function.slug, r.team.slug if r.team else None) for r in single_points_of_failure()
        }
        assert pairs == {
            ("incident-commander", "payments"),
            ("comms", None),
            ("scribe", None),
        }
        by_pair = {(r.function.slug, r.team and r.team.slug): r for r in coverage()}
        assert by_pair[("scribe", None)].available_now == 0
        assert by_pair[("incident-commander", None)].is_spof is False
        assert scribe.is_active

    def test_a_window_in_ten_days_makes_a_future_spof(self, commander_function):
        delegate(commander_function, "cora", 1)
        rudy = delegate(commander_function, "rudy", 2).user
        window = away(rudy, starts_in=timedelta(days=10), lasts=timedelta(days=2))
        (row,) = single_points_of_failure()
        assert row.available_now == 2
        assert row.fewest_available == 1
        assert row.fewest_at == window.starts_at

    def test_a_window_beyond_the_horizon_does_not_count(self, commander_function):
        delegate(commander_function, "cora", 1)
        rudy = delegate(commander_function, "rudy", 2).user
        away(rudy, starts_in=timedelta(days=15))
        assert single_points_of_failure() == []

    def test_a_window_that_has_ended_does_not_count(self, commander_function):
        delegate(commander_function, "cora", 1)
        rudy = delegate(commander_function, "rudy", 2).user
        away(rudy, starts_in=timedelta(days=-5), lasts=timedelta(days=2))
        assert single_points_of_failure() == []

    def test_inactive_functions_are_ignored(self, commander_function):
        commander_function.is_active = False
        commander_function.save()
        assert single_points_of_failure() == []
