"""Staffing at declaration, handovers and their reminder, and the policy in force."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.exceptions import TransitionNotAllowed
from incidents import services, staffing, tasks
from incidents.models import RoleAssignment, TimelineKind
from incidents.tests import factories
from policy.models import PolicyLevel, PolicyStatus, PolicyVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def functions():
    return {
        "commander": factories.CriticalFunctionFactory(
            name="Incident commander",
            slug="incident-commander",
            incident_field="commander",
            position=1,
        ),
        "responder": factories.CriticalFunctionFactory(
            name="Responder", slug="responder", incident_field="responder", position=2
        ),
        "comms": factories.CriticalFunctionFactory(
            name="Communications lead", slug="comms", position=3
        ),
    }


@pytest.fixture
def delegates(functions):
    people = {}
    for function, names in (("commander", ["cass", "carl"]), ("responder", ["remy", "rita"])):
        for rank, name in enumerate(names, start=1):
            people[name] = factories.responder(username=name, first_name=name.title())
            factories.DelegationFactory(function=functions[function], user=people[name], rank=rank)
    return people


@pytest.fixture
def policy(functions, sev2, commander_user):
    version = PolicyVersion.objects.create(
        number=1,
        status=PolicyStatus.EFFECTIVE,
        author=commander_user,
        effective_at=timezone.now(),
    )
    level = PolicyLevel.objects.create(
        version=version,
        severity=sev2,
        ack_target_minutes=15,
        update_cadence_minutes=20,
        max_continuous_hours=4,
    )
    level.paged_functions.add(functions["comms"])
    return version


def holders(incident):
    return {a.function.slug: a.user.username for a in staffing.current_holders(incident)}


def events(incident, kind):
    return list(incident.timeline.filter(kind=kind).values_list("message", flat=True))


class TestDeclaration:
    def test_primary_delegates_fill_commander_and_responder(self, declare, delegates):
        incident = declare()
        assert (incident.commander.username, incident.responder.username) == ("cass", "remy")
        assert holders(incident) == {"incident-commander": "cass", "responder": "remy"}
        assert events(incident, TimelineKind.ROLE_ASSIGNED) == [
            "Cass is Incident commander (primary delegate).",
            "Remy is Responder (primary delegate).",
        ]

    def test_unavailable_primary_commander_gives_the_first_available_backup(
        self, declare, delegates
    ):
        factories.UnavailabilityFactory(user=delegates["cass"], reason="sick")
        incident = declare()
        incident.refresh_from_db()
        assert incident.commander == delegates["carl"]
        (message, _responder) = events(incident, TimelineKind.ROLE_ASSIGNED)
        assert message.startswith("Carl is Incident commander (Cass is unavailable (sick) until")
        assert message.endswith("rank 2 stands in).")
        assert delegates["carl"].has_perm("incidents.change_incident", incident)

    def test_a_named_commander_is_kept(self, declare, delegates, responder_user):
        incident = declare(commander=responder_user)
        assert incident.commander == responder_user
        assert "named at declaration" in events(incident, TimelineKind.ROLE_ASSIGNED)[0]

    def test_team_delegates_come_first(self, declare, delegates, functions):
        payments = factories.TeamFactory(name="Payments", slug="payments")
        pat = factories.responder(username="pat")
        factories.DelegationFactory(function=functions["commander"], team=payments, user=pat)
        assert declare(team=payments).commander == pat
        assert declare().commander == delegates["cass"]

    def test_functions_the_policy_pages_are_filled_or_shown_as_gaps(
        self, declare, delegates, policy, functions
    ):
        incident = declare()
        assert incident.policy_version == policy
        assert staffing.staffing_gaps(incident, services.base.policy_level_of(incident)) == [
            functions["comms"]
        ]
        assert events(incident, TimelineKind.STAFFING_GAP) == [
            "Nobody available as Communications lead: nobody holds this function."
        ]
        factories.DelegationFactory(function=functions["comms"], user=delegates["rita"])
        assert holders(declare())["comms"] == "rita"

    def test_without_functions_configured_nothing_is_staffed(self, declare):
        incident = declare()
        assert holders(incident) == {}
        assert list(incident.timeline.values_list("kind", flat=True)) == [TimelineKind.DECLARED]


class TestPolicyInForce:
    def test_cadence_and_version_come_from_the_effective_policy(self, declare, policy):
        incident = declare()
        assert incident.policy_version == policy
        assert incident.next_update_due - incident.declared_at == timedelta(minutes=20)
        update = services.incident_post_update(
            incident=incident, actor=incident.declared_by, message="Looking"
        )
        assert update.next_update_due - update.posted_at == timedelta(minutes=20)

    def test_without_a_policy_the_default_cadence_applies(self, declare, settings):
        settings.BEACON_DEFAULT_UPDATE_CADENCE_MINUTES = 45
        incident = declare()
        assert incident.policy_version is None
        assert incident.next_update_due - incident.declared_at == timedelta(minutes=45)

    def test_a_more_serious_severity_brings_the_next_update_forward(
        self, declare, policy, sev1, commander_user
    ):
        PolicyLevel.objects.create(
            version=policy, severity=sev1, ack_target_minutes=5, update_cadence_minutes=10
        )
        incident = declare()
        services.incident_change_severity(incident=incident, actor=commander_user, severity=sev1)
        incident.refresh_from_db()
        assert incident.next_update_due - incident.declared_at == timedelta(minutes=10)

    def test_resolution_stops_the_update_clock(self, declare, commander_user):
        incident = declare()
        for criterion in incident.criteria.filter(required=True):
            services.incident_check_exit_criterion(
                incident=incident, actor=commander_user, criterion_id=criterion.pk
            )
        services.incident_resolve(incident=incident, actor=commander_user, resolution="Fixed")
        incident.refresh_from_db()
        assert incident.next_update_due is None


class TestHandover:
    def test_handover_moves_the_role_and_records_it(
        self, declare, delegates, functions, commander_user
    ):
        incident = declare()
        services.incident_hand_over_role(
            incident=incident,
            actor=commander_user,
            function=functions["commander"],
            to_user=delegates["carl"],
            note="Cass goes to sleep",
        )
        incident.refresh_from_db()
        assert incident.commander == delegates["carl"]
        history = RoleAssignment.objects.filter(incident=incident, function=functions["commander"])
        assert [(a.user.username, a.ended_at is None) for a in history] == [
            ("cass", False),
            ("carl", True),
        ]
        assert events(incident, TimelineKind.ROLE_HANDED_OVER) == [
            "Cass handed Incident commander over to Carl. Cass goes to sleep"
        ]

    def test_refusals(self, declare, delegates, functions, commander_user):
        incident = declare()
        with pytest.raises(TransitionNotAllowed, match="already holds"):
            services.incident_hand_over_role(
                incident=incident,
                actor=commander_user,
                function=functions["commander"],
                to_user=delegates["cass"],
            )
        delegates["carl"].is_active = False
        delegates["carl"].save()
        with pytest.raises(ValidationError):
            services.incident_hand_over_role(
                incident=incident,
                actor=commander_user,
                function=functions["commander"],
                to_user=delegates["carl"],
            )
        assert events(incident, TimelineKind.ROLE_HANDED_OVER) == []

    def test_editing_the_commander_field_keeps_the_role_history(
        self, declare, delegates, functions, commander_user
    ):
        incident = declare()
        services.incident_update_details(
            incident=incident, actor=commander_user, commander=delegates["carl"]
        )
        assert holders(incident)["incident-commander"] == "carl"

    def test_reminder_after_the_maximum_continuous_hours_once(self, declare, delegates, policy):
        incident = declare()
        RoleAssignment.objects.filter(incident=incident).update(
            started_at=timezone.now() - timedelta(hours=5)
        )
        assert tasks.remind_handovers() == 2
        assert tasks.remind_handovers() == 0
        messages = events(incident, TimelineKind.HANDOVER_DUE)
        assert len(messages) == 2
        assert "Cass has been Incident commander for over 4 hours" in messages[0]

    def test_no_reminder_before_the_limit_or_without_policy(self, declare, delegates):
        declare()
        assert tasks.remind_handovers() == 0
