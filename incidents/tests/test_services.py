from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.exceptions import TransitionNotAllowed
from core.models import AppendOnlyError
from incidents import services
from incidents.models import (
    CancelReason,
    Incident,
    IncidentStatus,
    TimelineEvent,
    TimelineKind,
)
from incidents.tests import factories

pytestmark = pytest.mark.django_db


def kinds(incident):
    return list(incident.timeline.order_by("id").values_list("kind", flat=True))


def settle_required(incident, actor):
    for criterion in incident.criteria.filter(required=True):
        services.incident_check_exit_criterion(
            incident=incident, actor=actor, criterion_id=criterion.pk
        )


class TestDeclare:
    def test_declaration_records_everything(
        self, declare, commander_user, responder_user, checkout_service
    ):
        incident = declare(
            name="checkout-down",
            summary=" Payments fail ",
            services=[checkout_service, checkout_service],
            environments=["prod"],
            regions=["eu-west-1"],
            responder=responder_user,
            commander=commander_user,
        )
        year = timezone.now().year
        assert incident.reference == f"INC-{year}-0001"
        assert incident.channel_name == f"inc_checkout-down_{timezone.now():%Y%m%d}"
        assert incident.status == IncidentStatus.DECLARED
        assert incident.summary == "Payments fail"
        assert list(incident.services.all()) == [checkout_service]
        assert incident.meets_definition and not incident.definition_override
        assert incident.detected_at == incident.declared_at
        assert [c.text for c in incident.criteria.all()] == [
            "Error rate back to baseline",
            "Customers informed",
            "Dashboards annotated",
        ]
        assert kinds(incident) == [TimelineKind.DECLARED, TimelineKind.PLAYBOOK_MISSING]
        assert declare().reference == f"INC-{year}-0002"

    def test_channel_name_is_derived_and_unique(self, declare):
        first = declare(title="Checkout: EU payments DOWN!!")
        second = declare(title="Checkout: EU payments DOWN!!")
        day = f"{timezone.now():%Y%m%d}"
        assert first.channel_name == f"inc_checkout-eu-payments-down_{day}"
        assert second.channel_name == f"inc_checkout-eu-payments-down-2_{day}"

    def test_long_title_keeps_name_part_within_sixty(self, declare):
        incident = declare(title="x" * 150)
        name_part = incident.channel_name.removeprefix("inc_").rsplit("_", 1)[0]
        assert len(name_part) == 60

    @pytest.mark.parametrize("name", ["Has Caps", "spaces here", "é", "x" * 61, "dot.name"])
    def test_bad_channel_name_is_refused(self, declare, name):
        with pytest.raises(ValidationError) as error:
            declare(name=name)
        assert "name" in error.value.message_dict
        assert not Incident.objects.exists()

    def test_definition_must_be_confirmed(self, declare):
        with pytest.raises(ValidationError) as error:
            declare(exceeds_one_hour=False)
        assert "confirm_definition" in error.value.message_dict
        incident = declare(exceeds_one_hour=False, confirm_definition=True)
        assert incident.definition_override and not incident.exceeds_one_hour

    def test_blank_title_and_future_times_are_refused(self, declare):
        later = timezone.now() + timedelta(hours=1)
        with pytest.raises(ValidationError) as error:
            declare(title="  ", impact_started_at=later)
        assert set(error.value.message_dict) == {"title", "impact_started_at"}

    def test_detection_before_impact_is_refused(self, declare):
        now = timezone.now()
        with pytest.raises(ValidationError) as error:
            declare(
                impact_started_at=now - timedelta(minutes=5),
                detected_at=now - timedelta(minutes=10),
            )
        assert "detected_at" in error.value.message_dict

    def test_stakeholder_cannot_declare(self, declare, stakeholder_user):
        with pytest.raises(PermissionDenied):
            declare(actor=stakeholder_user)

    def test_security_type_is_private_and_shared_with_participants(
        self, declare, security_type, responder_user
    ):
        invitee = factories.UserFactory(username="ivan")
        incident = declare(
            incident_type=security_type, responder=responder_user, invitees=[invitee]
        )
        assert incident.is_private
        for user in (incident.declared_by, responder_user, invitee):
            assert user.has_perm("incidents.view_incident", incident)
        outsider = factories.responder(username="olga")
        assert not outsider.has_perm("incidents.view_incident", incident)


class TestLifecycle:
    def test_full_walk_to_closed(self, incident, commander_user):
        actor = commander_user
        services.incident_acknowledge(incident=incident, actor=actor)
        services.incident_change_status(incident=incident, actor=actor, status="identified")
        services.incident_post_update(incident=incident, actor=actor, message="Rolling back")
        services.incident_change_status(incident=incident, actor=actor, status="monitoring")
        settle_required(incident, actor)
        services.incident_resolve(incident=incident, actor=actor, resolution="Rolled back v42")
        services.incident_close(incident=incident, actor=actor)
        incident.refresh_from_db()
        assert incident.status == IncidentStatus.CLOSED
        assert incident.acknowledged_by == actor
        assert incident.mitigated_at <= incident.resolved_at <= incident.closed_at
        assert incident.time_to_resolve >= timedelta(0)
        assert kinds(incident) == [
            TimelineKind.DECLARED,
            TimelineKind.ACKNOWLEDGED,
            TimelineKind.STATUS_CHANGED,
            TimelineKind.UPDATE_POSTED,
            TimelineKind.STATUS_CHANGED,
            TimelineKind.CRITERION_MET,
            TimelineKind.CRITERION_MET,
            TimelineKind.RESOLVED,
            TimelineKind.CLOSED,
        ]

    def test_acknowledge_moves_to_investigating_once(self, incident, commander_user):
        services.incident_acknowledge(incident=incident, actor=commander_user)
        incident.refresh_from_db()
        assert incident.status == IncidentStatus.INVESTIGATING
        with pytest.raises(TransitionNotAllowed, match="already acknowledged"):
            services.incident_acknowledge(incident=incident, actor=commander_user)
        assert kinds(incident).count(TimelineKind.ACKNOWLEDGED) == 1

    def test_acknowledge_records_who_and_through_what(self, incident, commander_user):
        services.incident_acknowledge(incident=incident, actor=commander_user, via="sms_reply")
        event = incident.timeline.get(kind=TimelineKind.ACKNOWLEDGED)
        assert event.actor == commander_user
        assert event.after["via"] == "sms_reply"
        assert event.message == "Acknowledged through an SMS reply."

    def test_leaving_declared_counts_as_acknowledging(self, incident, responder_user):
        services.incident_change_status(
            incident=incident, actor=responder_user, status="identified"
        )
        incident.refresh_from_db()
        assert incident.acknowledged_by == responder_user

    @pytest.mark.parametrize("target", ["resolved", "closed", "cancelled"])
    def test_terminal_states_need_their_own_action(self, incident, commander_user, target):
        with pytest.raises(TransitionNotAllowed, match="Use "):
            services.incident_change_status(incident=incident, actor=commander_user, status=target)

    def test_same_status_and_unknown_status_are_refused(self, incident, commander_user):
        with pytest.raises(ValidationError):
            services.incident_change_status(
                incident=incident, actor=commander_user, status="sleeping"
            )
        services.incident_change_status(
            incident=incident, actor=commander_user, status="investigating"
        )
        with pytest.raises(TransitionNotAllowed, match="already investigating"):
            services.incident_change_status(
                incident=incident, actor=commander_user, status="investigating"
            )

    def test_cannot_go_back_to_declared(self, incident, commander_user):
        services.incident_change_status(
            incident=incident, actor=commander_user, status="investigating"
        )
        with pytest.raises(TransitionNotAllowed, match="cannot go from"):
            services.incident_change_status(
                incident=incident, actor=commander_user, status="declared"
            )

    def test_stakeholder_cannot_change_anything(self, incident, stakeholder_user):
        with pytest.raises(PermissionDenied):
            services.incident_acknowledge(incident=incident, actor=stakeholder_user)
        with pytest.raises(PermissionDenied):
            services.incident_post_update(incident=incident, actor=stakeholder_user, message="hi")
        assert kinds(incident) == [TimelineKind.DECLARED]

    def test_invitee_without_group_may_act_on_their_incident(self, declare):
        invitee = factories.UserFactory(username="guest")
        incident = declare(invitees=[invitee])
        services.incident_post_update(incident=incident, actor=invitee, message="Looking")
        assert kinds(incident)[-1] == TimelineKind.UPDATE_POSTED


class TestUpdates:
    def test_update_sets_next_due_by_cadence(self, incident, commander_user, settings):
        settings.BEACON_DEFAULT_UPDATE_CADENCE_MINUTES = 30
        update = services.incident_post_update(
            incident=incident, actor=commander_user, message="Still looking"
        )
        assert update.next_update_due - update.posted_at == timedelta(minutes=30)
        assert update.status == IncidentStatus.DECLARED

    def test_update_with_status_writes_both_events(self, incident, commander_user):
        update = services.incident_post_update(
            incident=incident, actor=commander_user, message="Found it", status="identified"
        )
        assert update.status == IncidentStatus.IDENTIFIED
        assert kinds(incident)[-2:] == [TimelineKind.STATUS_CHANGED, TimelineKind.UPDATE_POSTED]

    def test_empty_update_is_refused_and_nothing_changes(self, incident, commander_user):
        with pytest.raises(ValidationError) as error:
            services.incident_post_update(
                incident=incident, actor=commander_user, message="   ", status="identified"
            )
        assert "message" in error.value.message_dict
        incident.refresh_from_db()
        assert incident.status == IncidentStatus.DECLARED
        assert not incident.updates.exists()

    def test_illegal_status_in_update_rolls_back_whole_update(self, incident, commander_user):
        with pytest.raises(TransitionNotAllowed):
            services.incident_post_update(
                incident=incident, actor=commander_user, message="Done", status="resolved"
            )
        assert not incident.updates.exists()


class TestSeverity:
    def test_change_records_before_and_after(self, incident, commander_user, sev1):
        services.incident_change_severity(
            incident=incident, actor=commander_user, severity=sev1, reason="All regions now"
        )
        event = incident.timeline.get(kind=TimelineKind.SEVERITY_CHANGED)
        assert (event.before, event.after) == ({"severity": "SEV2"}, {"severity": "SEV1"})
        assert "All regions now" in event.message

    def test_same_severity_is_refused(self, incident, commander_user, sev2):
        with pytest.raises(TransitionNotAllowed):
            services.incident_change_severity(
                incident=incident, actor=commander_user, severity=sev2
            )


class TestExitCriteria:
    def test_resolution_is_blocked_by_unmet_required_criteria(self, incident, commander_user):
        with pytest.raises(TransitionNotAllowed) as error:
            services.incident_resolve(incident=incident, actor=commander_user, resolution="Fixed")
        assert "Error rate back to baseline; Customers informed" in error.value.message
        assert "Dashboards annotated" not in error.value.message
        incident.refresh_from_db()
        assert incident.status == IncidentStatus.DECLARED and incident.resolved_at is None

    def test_resolution_needs_text(self, incident, commander_user):
        settle_required(incident, commander_user)
        with pytest.raises(ValidationError) as error:
            services.incident_resolve(incident=incident, actor=commander_user, resolution=" ")
        assert "resolution" in error.value.message_dict

    def test_waiving_needs_the_permission_and_a_reason(
        self, incident, responder_user, commander_user
    ):
        criterion = incident.criteria.first()
        with pytest.raises(PermissionDenied):
            services.incident_waive_exit_criterion(
                incident=incident, actor=responder_user, criterion_id=criterion.pk, reason="n/a"
            )
        with pytest.raises(ValidationError):
            services.incident_waive_exit_criterion(
                incident=incident, actor=commander_user, criterion_id=criterion.pk, reason=""
            )
        services.incident_waive_exit_criterion(
            incident=incident, actor=commander_user, criterion_id=criterion.pk, reason="No baseline"
        )
        criterion.refresh_from_db()
        assert criterion.waived_by == commander_user and criterion.waive_reason == "No baseline"

    def test_check_off_keeps_who_and_when_and_refuses_twice(self, incident, responder_user):
        criterion = incident.criteria.first()
        services.incident_check_exit_criterion(
            incident=incident, actor=responder_user, criterion_id=criterion.pk, note="graph ok"
        )
        criterion.refresh_from_db()
        assert criterion.met_by == responder_user and criterion.met_at is not None
        with pytest.raises(TransitionNotAllowed, match="already met"):
            services.incident_check_exit_criterion(
                incident=incident, actor=responder_user, criterion_id=criterion.pk
            )

    def test_criterion_of_another_incident_is_refused(self, declare, commander_user):
        first, second = declare(), declare()
        foreign = second.criteria.first()
        with pytest.raises(ValidationError):
            services.incident_check_exit_criterion(
                incident=first, actor=commander_user, criterion_id=foreign.pk
            )

    def test_type_edits_do_not_change_declared_incidents(self, incident, outage):
        outage.exit_criteria.update(text="Changed")
        assert "Changed" not in [c.text for c in incident.criteria.all()]


class TestCloseAndCancel:
    def test_close_needs_resolved(self, incident, commander_user):
        with pytest.raises(TransitionNotAllowed, match="Only a resolved incident"):
            services.incident_close(incident=incident, actor=commander_user)

    def test_cancel_as_duplicate(self, declare, commander_user):
        original, copy = declare(), declare()
        services.incident_cancel(
            incident=copy,
            actor=commander_user,
            reason=CancelReason.DUPLICATE,
            duplicate_of=original,
        )
        copy.refresh_from_db()
        assert copy.status == IncidentStatus.CANCELLED and copy.duplicate_of == original
        with pytest.raises(TransitionNotAllowed):
            services.incident_post_update(incident=copy, actor=commander_user, message="x")

    @pytest.mark.parametrize(
        "reason, duplicate, field",
        [
            ("bored", None, "reason"),
            (CancelReason.DUPLICATE, None, "duplicate_of"),
            (CancelReason.DUPLICATE, "self", "duplicate_of"),
            (CancelReason.NOT_AN_INCIDENT, "other", "duplicate_of"),
        ],
    )
    def test_bad_cancellations(self, declare, commander_user, reason, duplicate, field):
        incident, other = declare(), declare()
        duplicate_of = {"self": incident, "other": other}.get(duplicate)
        with pytest.raises(ValidationError) as error:
            services.incident_cancel(
                incident=incident, actor=commander_user, reason=reason, duplicate_of=duplicate_of
            )
        assert field in error.value.message_dict
        incident.refresh_from_db()
        assert incident.status == IncidentStatus.DECLARED


class TestDetailsAndNotes:
    def test_details_change_is_recorded(self, incident, commander_user, responder_user):
        services.incident_update_details(
            incident=incident,
            actor=commander_user,
            title="Checkout down in EU",
            responder=responder_user,
        )
        event = incident.timeline.get(kind=TimelineKind.DETAILS_CHANGED)
        assert event.before["title"] == "Checkout is failing"
        assert event.after == {"title": "Checkout down in EU", "responder": "rudy"}
        assert responder_user.has_perm("incidents.change_incident", incident)

    def test_status_is_not_a_detail(self, incident, commander_user):
        with pytest.raises(ValidationError):
            services.incident_update_details(
                incident=incident, actor=commander_user, status="resolved"
            )

    def test_no_change_writes_no_event(self, incident, commander_user):
        services.incident_update_details(
            incident=incident, actor=commander_user, title=incident.title
        )
        assert kinds(incident) == [TimelineKind.DECLARED]

    def test_notes_are_appended(self, incident, responder_user):
        services.incident_add_note(incident=incident, actor=responder_user, text="Paged DBA")
        assert kinds(incident)[-1] == TimelineKind.NOTE


def test_timeline_is_append_only(incident):
    event = incident.timeline.get()
    event.message = "rewritten"
    with pytest.raises(AppendOnlyError, match="Timeline events are append-only"):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert TimelineEvent.objects.get().message != "rewritten"
