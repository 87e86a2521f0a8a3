"""Affected services and their playbooks through the services: declaration links the approved
version of each and copies its steps as a checklist; completing a step is in the timeline."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.exceptions import TransitionNotAllowed
from incidents import services
from incidents.models import (
    Incident,
    IncidentPlaybook,
    IncidentPlaybookStep,
    TimelineEvent,
    TimelineKind,
)
from incidents.tests import factories
from incidents.tests.playbook_setup import approved, version
from playbooks.models import VersionStatus
from playbooks.tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def kinds(incident):
    return list(incident.timeline.order_by("id").values_list("kind", flat=True))


class TestDeclareWithServices:
    def test_links_the_approved_version_only_and_copies_its_steps(self, declare, checkout_service):
        version(checkout_service, number=1, status=VersionStatus.SUPERSEDED, steps=["Old step"])
        current = approved(
            checkout_service, "Roll back the deploy", "Check the error rate", number=2
        )
        version(checkout_service, number=3, status=VersionStatus.DRAFT, steps=["Draft step"])

        incident = declare(services=[checkout_service])

        assert list(incident.services.all()) == [checkout_service]
        link = incident.playbook_links.get()
        assert (link.service, link.version) == (checkout_service, current)
        steps = list(incident.playbook_steps.order_by("position"))
        assert [(s.position, s.text, s.version) for s in steps] == [
            (1, "Roll back the deploy", current),
            (2, "Check the error rate", current),
        ]
        assert steps[0].expected_outcome == "Roll back the deploy: done"
        assert (steps[0].command, steps[0].link) == ("run 1", "https://example.com/runbook")
        assert not any(step.is_done for step in steps)
        event = incident.timeline.get(kind=TimelineKind.PLAYBOOK_LINKED)
        assert event.message == "Playbook Checkout runbook v2 linked for Checkout (2 steps)."
        assert event.after == {
            "service": "checkout",
            "playbook": "Checkout runbook",
            "version": 2,
            "steps": 2,
        }

    def test_a_service_without_an_approved_playbook_is_said_plainly(
        self, declare, checkout_service, payments_service
    ):
        approved(checkout_service)
        version(payments_service, status=VersionStatus.IN_REVIEW, steps=["Not yet"])

        incident = declare(services=[payments_service, checkout_service])

        # One event per service, the most critical tier first.
        assert kinds(incident) == [
            TimelineKind.DECLARED,
            TimelineKind.PLAYBOOK_LINKED,
            TimelineKind.PLAYBOOK_MISSING,
        ]
        missing = incident.timeline.get(kind=TimelineKind.PLAYBOOK_MISSING)
        assert missing.message == "Payments has no approved playbook."
        assert incident.playbook_links.get(service=payments_service).version is None
        assert not incident.playbook_steps.filter(service=payments_service).exists()

    def test_the_incident_type_s_playbook_comes_before_the_general_one(
        self, declare, outage, checkout_service
    ):
        approved(checkout_service, "General step")
        specific = approved(checkout_service, "Outage step", incident_type=outage)
        incident = declare(services=[checkout_service])
        assert incident.playbook_links.get().version == specific
        assert list(incident.playbook_steps.values_list("text", flat=True)) == ["Outage step"]

    def test_an_inactive_service_is_refused_and_nothing_is_stored(self, declare, checkout_service):
        retired = ServiceFactory(name="Legacy", slug="legacy", is_active=False)
        with pytest.raises(ValidationError) as refused:
            declare(services=[checkout_service, retired])
        assert refused.value.message_dict == {"services": ["No longer in service: Legacy."]}
        assert not Incident.objects.exists()
        assert not IncidentPlaybook.objects.exists()

    def test_no_services_no_playbooks(self, declare):
        incident = declare()
        assert kinds(incident) == [TimelineKind.DECLARED]
        assert not incident.playbook_links.exists()


class TestChangeServices:
    def test_the_timeline_shows_the_slugs_before_and_after(
        self, declare, commander_user, checkout_service, payments_service
    ):
        incident = declare(services=[checkout_service])
        approved(payments_service, "Fail over the gateway")

        services.incident_update_details(
            incident=incident, actor=commander_user, services=[payments_service], title="Renamed"
        )

        assert list(incident.services.all()) == [payments_service]
        event = incident.timeline.get(kind=TimelineKind.DETAILS_CHANGED)
        assert event.message == "Changed title, affected services."
        assert event.before == {"title": "Checkout is failing", "services": ["checkout"]}
        assert event.after == {"title": "Renamed", "services": ["payments"]}
        # The added service's playbook is linked; the removed one's checklist stays on record.
        assert kinds(incident)[-1] == TimelineKind.PLAYBOOK_LINKED
        assert set(incident.playbook_steps.values_list("text", flat=True)) == {
            "Fail over the gateway"
        }
        assert incident.playbook_links.count() == 2

    def test_the_same_services_change_nothing(self, declare, commander_user, checkout_service):
        incident = declare(services=[checkout_service])
        before = kinds(incident)
        services.incident_update_details(
            incident=incident, actor=commander_user, services=[checkout_service]
        )
        assert kinds(incident) == before

    def test_adding_an_inactive_service_is_refused_keeping_one_is_not(
        self, declare, commander_user, checkout_service
    ):
        legacy = ServiceFactory(name="Legacy", slug="legacy")
        incident = declare(services=[legacy])
        legacy.is_active = False
        legacy.save()
        retired = ServiceFactory(name="Old", slug="old", is_active=False)

        with pytest.raises(ValidationError) as refused:
            services.incident_update_details(
                incident=incident, actor=commander_user, services=[legacy, retired]
            )
        assert refused.value.message_dict == {"services": ["No longer in service: Old."]}
        services.incident_update_details(
            incident=incident, actor=commander_user, services=[legacy, checkout_service]
        )
        assert set(incident.services.all()) == {legacy, checkout_service}


@pytest.fixture
def checklist(declare, checkout_service):
    approved(checkout_service)
    incident = declare(services=[checkout_service])
    return incident, incident.playbook_steps.order_by("position").first()


class TestCompleteStep:
    def test_done_once_with_a_timeline_event(self, checklist, responder_user):
        incident, step = checklist
        services.incident_acknowledge(incident=incident, actor=responder_user)

        done = services.incident_complete_playbook_step(
            incident=incident, actor=responder_user, step_id=step.pk, note=" Rolled back 14:02 "
        )

        step.refresh_from_db()
        assert done == step
        assert step.is_done and step.done_by == responder_user
        assert step.note == "Rolled back 14:02"
        event = incident.timeline.latest("id")
        assert event.kind == TimelineKind.PLAYBOOK_STEP_DONE
        assert event.actor == responder_user
        assert (
            event.message == "Playbook step done (Checkout): Roll back the deploy Rolled back 14:02"
        )
        assert event.after == {
            "service": "checkout",
            "position": 1,
            "step": "Roll back the deploy",
            "note": "Rolled back 14:02",
        }

        with pytest.raises(TransitionNotAllowed, match="already done"):
            services.incident_complete_playbook_step(
                incident=incident, actor=responder_user, step_id=step.pk
            )
        assert incident.timeline.filter(kind=TimelineKind.PLAYBOOK_STEP_DONE).count() == 1

    def test_a_step_of_another_incident_is_refused(self, checklist, declare, commander_user):
        _incident, step = checklist
        other = declare(title="Other")
        for step_id in (step.pk, 0, "x"):
            with pytest.raises(ValidationError) as refused:
                services.incident_complete_playbook_step(
                    incident=other, actor=commander_user, step_id=step_id
                )
            assert "has no such playbook step" in refused.value.message_dict["step"][0]
        assert not IncidentPlaybookStep.objects.filter(done_at__isnull=False).exists()

    def test_only_while_the_incident_is_active(self, checklist, commander_user):
        incident, step = checklist
        for criterion in incident.criteria.filter(required=True):
            services.incident_check_exit_criterion(
                incident=incident, actor=commander_user, criterion_id=criterion.pk
            )
        services.incident_resolve(incident=incident, actor=commander_user, resolution="Fixed")
        with pytest.raises(TransitionNotAllowed, match="no longer have playbook steps completed"):
            services.incident_complete_playbook_step(
                incident=incident, actor=commander_user, step_id=step.pk
            )

    def test_only_people_who_can_act(self, checklist):
        incident, step = checklist
        outsider = factories.stakeholder(username="stella")
        events = TimelineEvent.objects.count()
        with pytest.raises(PermissionDenied):
            services.incident_complete_playbook_step(
                incident=incident, actor=outsider, step_id=step.pk
            )
        step.refresh_from_db()
        assert not step.is_done and TimelineEvent.objects.count() == events
