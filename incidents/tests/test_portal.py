"""The staff portal through Django's test client: pages, access, and every form's paths."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from incidents import services
from incidents.models import (
    CancelReason,
    Incident,
    IncidentStatus,
    StatusUpdate,
    TimelineKind,
)
from incidents.templatetags.beacon import duration
from incidents.tests import factories
from people.models import UserPreference

pytestmark = pytest.mark.django_db


def page(incident):
    return reverse("portal:incident", args=[incident.reference])


def action(incident, name):
    return reverse("portal:incident-action", args=[incident.reference, name])


def criterion_action(incident, criterion, name):
    return reverse("portal:criterion-action", args=[incident.reference, criterion.pk, name])


def kinds(incident):
    return list(incident.timeline.order_by("id").values_list("kind", flat=True))


def fresh(incident):
    return Incident.objects.get(pk=incident.pk)


def text(response):
    return response.content.decode()


def error_message(message):
    return f'<li class="message message-error">{message}</li>'


@pytest.fixture
def commander_client(client, commander_user):
    client.force_login(commander_user)
    return client


@pytest.fixture
def stakeholder_client(client, stakeholder_user):
    client.force_login(stakeholder_user)
    return client


@pytest.fixture
def outsider():
    """Can act on incidents in general, but takes no part in the private ones."""
    return factories.responder(username="otto")


class TestPages:
    def test_login_required_everywhere(self, client, incident):
        for url in (
            reverse("portal:dashboard"),
            reverse("portal:incident-list"),
            reverse("portal:declare"),
            reverse("portal:preferences"),
            page(incident),
        ):
            response = client.get(url)
            assert response.status_code == 302
            assert response.url.startswith(reverse("login"))

    def test_login_page_and_logout_by_post(self, client, commander_user):
        assert client.get(reverse("login")).status_code == 200
        client.force_login(commander_user)
        assert client.get(reverse("logout")).status_code == 405
        assert client.post(reverse("logout")).status_code == 302
        assert client.get(reverse("portal:dashboard")).status_code == 302

    def test_every_page_renders_for_a_commander(self, commander_client, incident):
        dashboard = commander_client.get(reverse("portal:dashboard"))
        assert dashboard.status_code == 200
        assert incident.reference in text(dashboard)
        assert "Declare incident" in text(dashboard)
        listing = commander_client.get(reverse("portal:incident-list"))
        assert incident.reference in text(listing)
        assert commander_client.get(reverse("portal:declare")).status_code == 200
        assert commander_client.get(reverse("portal:preferences")).status_code == 200
        detail = commander_client.get(page(incident))
        assert detail.status_code == 200
        for expected in (incident.title, incident.channel_name, "Post update", "Mark met"):
            assert expected in text(detail)
        assert "Waive" in text(detail)  # commanders may waive

    def test_stakeholder_sees_the_incident_but_no_forms(self, stakeholder_client, incident):
        response = stakeholder_client.get(page(incident))
        assert response.status_code == 200
        assert incident.title in text(response)
        assert "Post update" not in text(response)
        assert "Mark met" not in text(response)
        assert "Declare incident" not in text(stakeholder_client.get(reverse("portal:dashboard")))
        assert stakeholder_client.get(reverse("portal:declare")).status_code == 403

    def test_responder_cannot_waive(self, client, responder_user, incident):
        client.force_login(responder_user)
        response = client.get(page(incident))
        assert "Mark met" in text(response)
        assert "Waive" not in text(response)

    def test_staff_see_the_admin_link(self, client, commander_user):
        client.force_login(commander_user)
        assert reverse("admin:index") not in text(client.get(reverse("portal:dashboard")))
        commander_user.is_staff = True
        commander_user.save()
        assert reverse("admin:index") in text(client.get(reverse("portal:dashboard")))


class TestPrivateIncidents:
    def test_outsider_gets_404_and_sees_it_nowhere(self, client, declare, security_type, outsider):
        secret = declare(title="Leaked keys", incident_type=security_type)
        client.force_login(outsider)
        assert client.get(page(secret)).status_code == 404
        assert client.post(action(secret, "note"), {"text": "hi"}).status_code == 404
        for url in (reverse("portal:dashboard"), reverse("portal:incident-list")):
            body = text(client.get(url))
            assert secret.reference not in body and "Leaked keys" not in body

    def test_participant_sees_it(self, commander_client, declare, security_type):
        secret = declare(title="Leaked keys", incident_type=security_type)
        assert commander_client.get(page(secret)).status_code == 200
        assert secret.reference in text(commander_client.get(reverse("portal:dashboard")))


class TestDashboard:
    def test_ordered_by_severity_with_counts(self, commander_client, declare, sev1):
        minor = declare(title="Minor thing")
        major = declare(title="Major thing", severity=sev1)
        resolved = declare(title="Already fixed")
        Incident.objects.filter(pk=resolved.pk).update(status=IncidentStatus.CLOSED)
        response = commander_client.get(reverse("portal:dashboard"))
        assert [i.reference for i in response.context["incidents"]] == [
            major.reference,
            minor.reference,
        ]
        assert [(level.name, n) for level, n in response.context["severity_counts"]] == [
            ("SEV1", 1),
            ("SEV2", 1),
        ]

    def test_update_due_from_declaration_then_from_last_update(
        self, commander_client, incident, commander_user, settings
    ):
        settings.BEACON_DEFAULT_UPDATE_CADENCE_MINUTES = 30
        declared = timezone.now() - timedelta(minutes=45)
        Incident.objects.filter(pk=incident.pk).update(
            declared_at=declared, next_update_due=declared + timedelta(minutes=30)
        )
        row = commander_client.get(reverse("portal:dashboard")).context["incidents"][0]
        assert row.next_update_due == declared + timedelta(minutes=30)
        assert row.update_overdue
        assert "Overdue" in text(commander_client.get(reverse("portal:dashboard")))

        update = services.incident_post_update(
            incident=incident, actor=commander_user, message="Still looking."
        )
        row = commander_client.get(reverse("portal:dashboard")).context["incidents"][0]
        assert row.next_update_due == update.next_update_due
        assert not row.update_overdue

    def test_constant_number_of_queries(self, commander_client, declare, commander_user, sev1):
        def queries():
            with CaptureQueriesContext(connection) as captured:
                assert commander_client.get(reverse("portal:dashboard")).status_code == 200
            return len(captured)

        first = declare(commander=commander_user)
        services.incident_post_update(incident=first, actor=commander_user, message="Looking.")
        queries()  # warm caches (content types, permissions)
        one = queries()
        responder = factories.responder(username="rhea")
        for n in range(5):
            extra = declare(
                title=f"Incident {n}", severity=sev1, commander=responder, responder=responder
            )
            services.incident_post_update(incident=extra, actor=commander_user, message="Hm.")
        assert len(commander_client.get(reverse("portal:dashboard")).context["incidents"]) == 6
        assert queries() == one


class TestIncidentList:
    def test_filters(self, commander_client, declare, sev1):
        checkout = declare(title="Checkout down", severity=sev1)
        search = declare(title="Search slow")
        Incident.objects.filter(pk=search.pk).update(status=IncidentStatus.RESOLVED)
        url = reverse("portal:incident-list")

        def listed(**params):
            response = commander_client.get(url, params)
            assert response.status_code == 200
            return [i.reference for i in response.context["page"].object_list]

        assert set(listed()) == {checkout.reference, search.reference}
        assert listed(q="checkout") == [checkout.reference]
        assert listed(severity="SEV1") == [checkout.reference]
        assert listed(status="resolved") == [search.reference]
        assert listed(active="true") == [checkout.reference]
        assert listed(active="false") == [search.reference]
        assert listed(type="outage", is_drill="false", active="unknown") == listed()

    def test_paginated(self, commander_client, declare):
        for n in range(27):
            declare(title=f"Incident {n}")
        first = commander_client.get(reverse("portal:incident-list"), {"q": "Incident"})
        assert len(first.context["page"].object_list) == 25
        assert "page=2" in text(first) and "q=Incident" in text(first)
        second = commander_client.get(reverse("portal:incident-list"), {"q": "Incident", "page": 2})
        assert len(second.context["page"].object_list) == 2


def declaration(outage, sev2, **overrides):
    data = {
        "title": "Checkout is failing",
        "incident_type": outage.pk,
        "severity": sev2.pk,
        "summary": "Payments fail at the last step.",
        "environments": "production",
        "regions": "eu-west-1,us-east-1",
        "is_private": "",
        "affects_customers": "on",
        "unplanned": "on",
        "exceeds_one_hour": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


class TestDeclare:
    def test_success_redirects_to_the_incident(
        self,
        commander_client,
        commander_user,
        responder_user,
        stakeholder_user,
        outage,
        sev2,
        checkout_service,
        payments_service,
    ):
        response = commander_client.post(
            reverse("portal:declare"),
            declaration(
                outage,
                sev2,
                name="checkout-down",
                commander=commander_user.pk,
                responder=responder_user.pk,
                invitees=[stakeholder_user.pk],
                broadcast_channel="incidents",
                impact_started_at="2024-03-01T09:30",
                detected_at="2024-03-01T09:40",
                is_drill="on",
                services=[checkout_service.pk, payments_service.pk],
            ),
        )
        incident = Incident.objects.get()
        assert response.status_code == 302
        assert response.url == page(incident)
        assert incident.channel_name.startswith("inc_checkout-down_")
        assert {s.slug for s in incident.services.all()} == {"checkout", "payments"}
        assert incident.regions == ["eu-west-1", "us-east-1"]
        assert incident.commander == commander_user and incident.responder == responder_user
        assert list(incident.invitees.all()) == [stakeholder_user]
        assert incident.is_drill and not incident.is_private
        assert incident.impact_started_at == datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
        assert incident.meets_definition and not incident.definition_override
        assert kinds(incident) == [
            TimelineKind.DECLARED,
            TimelineKind.PLAYBOOK_MISSING,
            TimelineKind.PLAYBOOK_MISSING,
        ]
        assert f"{incident.reference} declared" in text(commander_client.get(response.url))

    @pytest.mark.parametrize(("choice", "expected"), [("", True), ("false", False), ("true", True)])
    def test_privacy_defaults_to_the_type(
        self, commander_client, security_type, sev2, choice, expected
    ):
        data = declaration(security_type, sev2, is_private=choice)
        assert commander_client.post(reverse("portal:declare"), data).status_code == 302
        assert Incident.objects.get().is_private is expected

    def test_definition_needs_confirmation_and_keeps_the_input(
        self, commander_client, outage, sev2, checkout_service
    ):
        data = declaration(
            outage, sev2, exceeds_one_hour=None, title="Short blip", services=[checkout_service.pk]
        )
        response = commander_client.post(reverse("portal:declare"), data)
        assert response.status_code == 400
        assert not Incident.objects.exists()
        body = text(response)
        assert "This does not meet the definition of an incident" in body
        assert 'name="confirm_definition"' in body
        assert 'value="Short blip"' in body
        assert f'<option value="{checkout_service.pk}" selected>Checkout</option>' in body

        data["confirm_definition"] = "on"
        assert commander_client.post(reverse("portal:declare"), data).status_code == 302
        incident = Incident.objects.get()
        assert incident.definition_override and not incident.exceeds_one_hour

    def test_confirmation_is_not_offered_up_front(self, commander_client):
        body = text(commander_client.get(reverse("portal:declare")))
        assert 'name="confirm_definition"' not in body
        assert "Negatively affects customers" in body

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            ({"name": "Has Caps"}, "name", "lowercase letters"),
            ({"impact_started_at": "2999-01-01T00:00"}, "impact_started_at", "in the future"),
            ({"title": ""}, "title", "This field is required."),
            ({"severity": ""}, "severity", "This field is required."),
        ],
    )
    def test_bad_input_is_shown_and_nothing_is_stored(
        self, commander_client, outage, sev2, overrides, field, message
    ):
        response = commander_client.post(
            reverse("portal:declare"), declaration(outage, sev2, **overrides)
        )
        assert response.status_code == 400
        assert field in response.context["form"].errors
        assert message in text(response)
        assert not Incident.objects.exists()

    def test_times_are_read_in_the_users_zone(self, commander_client, commander_user, outage, sev2):
        UserPreference.objects.create(user=commander_user, time_zone="Europe/Paris")
        data = declaration(outage, sev2, impact_started_at="2024-01-15T10:00")
        commander_client.post(reverse("portal:declare"), data)
        incident = Incident.objects.get()
        assert incident.impact_started_at == datetime(2024, 1, 15, 9, 0, tzinfo=UTC)
        body = text(commander_client.get(page(incident)))
        assert "Times in Europe/Paris" in body
        assert "15 Jan 2024 10:00 CET" in body


class TestActions:
    def test_acknowledge(self, commander_client, incident):
        response = commander_client.post(action(incident, "acknowledge"))
        assert response.status_code == 302 and response.url == page(incident)
        assert fresh(incident).status == IncidentStatus.INVESTIGATING
        assert kinds(incident)[-1] == TimelineKind.ACKNOWLEDGED

    def test_acknowledging_twice_shows_the_refusal(self, commander_client, incident):
        commander_client.post(action(incident, "acknowledge"))
        response = commander_client.post(action(incident, "acknowledge"))
        assert response.status_code == 409
        assert error_message(f"Incident {incident.reference} was already acknowledged.") in text(
            response
        )
        assert kinds(incident).count(TimelineKind.ACKNOWLEDGED) == 1

    def test_change_status(self, commander_client, incident):
        response = commander_client.post(
            action(incident, "status"), {"status": "monitoring", "note": "Fix deployed."}
        )
        assert response.status_code == 302
        incident = fresh(incident)
        assert incident.status == IncidentStatus.MONITORING and incident.mitigated_at
        event = incident.timeline.get(kind=TimelineKind.STATUS_CHANGED)
        assert event.message.endswith("Fix deployed.")

    def test_status_form_offers_working_states_only(self, commander_client, incident):
        response = commander_client.post(action(incident, "status"), {"status": "resolved"})
        assert response.status_code == 400
        assert "status" in response.context["forms"]["status"].errors
        assert fresh(incident).status == IncidentStatus.DECLARED
        assert kinds(incident) == [TimelineKind.DECLARED]

    def test_change_severity(self, commander_client, incident, sev1):
        response = commander_client.post(
            action(incident, "severity"), {"severity": sev1.pk, "reason": "All regions now."}
        )
        assert response.status_code == 302
        assert fresh(incident).severity == sev1
        assert kinds(incident)[-1] == TimelineKind.SEVERITY_CHANGED

    def test_same_severity_is_refused(self, commander_client, incident, sev2):
        response = commander_client.post(action(incident, "severity"), {"severity": sev2.pk})
        assert response.status_code == 409
        assert error_message(f"Incident {incident.reference} is already SEV2.") in text(response)
        assert kinds(incident) == [TimelineKind.DECLARED]

    def test_post_update_with_status(self, commander_client, incident):
        response = commander_client.post(
            action(incident, "update"), {"message": "Rolled back.", "status": "identified"}
        )
        assert response.status_code == 302
        update = StatusUpdate.objects.get(incident=incident)
        assert update.message == "Rolled back." and update.status == IncidentStatus.IDENTIFIED
        assert kinds(incident)[-2:] == [TimelineKind.STATUS_CHANGED, TimelineKind.UPDATE_POSTED]
        assert "Rolled back." in text(commander_client.get(page(incident)))

    def test_empty_update_shows_the_error_and_keeps_the_status_choice(
        self, commander_client, incident
    ):
        response = commander_client.post(
            action(incident, "update"), {"message": "  ", "status": "identified"}
        )
        assert response.status_code == 400
        form = response.context["forms"]["update"]
        assert "message" in form.errors
        assert 'value="identified" selected' in text(response)
        assert not StatusUpdate.objects.exists()
        assert fresh(incident).status == IncidentStatus.DECLARED

    def test_mark_criterion_met(self, commander_client, incident, commander_user):
        criterion = incident.criteria.first()
        response = commander_client.post(
            criterion_action(incident, criterion, "met"), {"note": "Graphs flat."}
        )
        assert response.status_code == 302
        criterion.refresh_from_db()
        assert criterion.met_by == commander_user and criterion.note == "Graphs flat."
        assert kinds(incident)[-1] == TimelineKind.CRITERION_MET
        assert "Met by cora" in text(commander_client.get(page(incident)))

    def test_waive_criterion(self, commander_client, incident):
        criterion = incident.criteria.first()
        response = commander_client.post(
            criterion_action(incident, criterion, "waive"), {"reason": "Not applicable."}
        )
        assert response.status_code == 302
        criterion.refresh_from_db()
        assert criterion.is_waived and criterion.waive_reason == "Not applicable."
        assert kinds(incident)[-1] == TimelineKind.CRITERION_WAIVED
        assert "Waived by cora" in text(commander_client.get(page(incident)))

    def test_waive_needs_a_reason(self, commander_client, incident):
        criterion = incident.criteria.first()
        response = commander_client.post(criterion_action(incident, criterion, "waive"), {})
        assert response.status_code == 400
        assert "This field is required." in text(response)
        criterion.refresh_from_db()
        assert not criterion.is_waived

    def test_responder_may_not_waive(self, client, responder_user, incident):
        client.force_login(responder_user)
        criterion = incident.criteria.first()
        response = client.post(criterion_action(incident, criterion, "waive"), {"reason": "x"})
        assert response.status_code == 403
        criterion.refresh_from_db()
        assert not criterion.is_waived

    def test_unknown_criterion_action_is_404(self, commander_client, incident):
        criterion = incident.criteria.first()
        url = criterion_action(incident, criterion, "delete")
        assert commander_client.post(url).status_code == 404

    def test_resolve_with_unmet_criteria_shows_the_services_message(
        self, commander_client, incident
    ):
        response = commander_client.post(action(incident, "resolve"), {"resolution": "Fixed."})
        assert response.status_code == 409
        expected = (
            f"Cannot resolve {incident.reference}: these required exit criteria are neither "
            "met nor waived: Error rate back to baseline; Customers informed."
        )
        assert error_message(expected) in text(response)
        assert "Fixed.</textarea>" in text(response)
        assert fresh(incident).status == IncidentStatus.DECLARED
        assert kinds(incident) == [TimelineKind.DECLARED]

    def test_resolve_then_close(self, commander_client, incident):
        for criterion in incident.criteria.filter(required=True):
            commander_client.post(criterion_action(incident, criterion, "met"))
        response = commander_client.post(action(incident, "resolve"), {"resolution": "Fixed."})
        assert response.status_code == 302
        incident = fresh(incident)
        assert incident.status == IncidentStatus.RESOLVED and incident.resolution == "Fixed."
        assert "Close incident" in text(commander_client.get(page(incident)))

        assert commander_client.post(action(incident, "close")).status_code == 302
        assert fresh(incident).status == IncidentStatus.CLOSED
        assert kinds(incident)[-2:] == [TimelineKind.RESOLVED, TimelineKind.CLOSED]

    def test_resolve_needs_text(self, commander_client, incident):
        response = commander_client.post(action(incident, "resolve"), {"resolution": ""})
        assert response.status_code == 400
        assert "resolution" in response.context["forms"]["resolve"].errors
        assert fresh(incident).status == IncidentStatus.DECLARED

    def test_closing_an_active_incident_is_refused(self, commander_client, incident):
        response = commander_client.post(action(incident, "close"))
        assert response.status_code == 409
        assert "Only a resolved incident can be closed" in text(response)
        assert fresh(incident).status == IncidentStatus.DECLARED

    def test_cancel_as_not_an_incident(self, commander_client, incident):
        response = commander_client.post(
            action(incident, "cancel"),
            {"reason": CancelReason.NOT_AN_INCIDENT, "note": "Planned work."},
        )
        assert response.status_code == 302
        incident = fresh(incident)
        assert incident.status == IncidentStatus.CANCELLED
        assert incident.timeline.get(kind=TimelineKind.CANCELLED).message.endswith("Planned work.")

    def test_cancel_as_duplicate(self, commander_client, declare, incident):
        original = declare(title="The original")
        response = commander_client.post(
            action(incident, "cancel"),
            {"reason": CancelReason.DUPLICATE, "duplicate_of": original.reference.lower()},
        )
        assert response.status_code == 302
        incident = fresh(incident)
        assert incident.status == IncidentStatus.CANCELLED and incident.duplicate_of == original
        assert kinds(incident)[-1] == TimelineKind.CANCELLED
        assert original.reference in text(commander_client.get(page(incident)))

    @pytest.mark.parametrize(
        ("duplicate_of", "message"),
        [
            ("", "Name the incident this one duplicates."),
            ("INC-1999-0001", "There is no incident INC-1999-0001 that you can see."),
        ],
    )
    def test_bad_duplicate_is_shown(self, commander_client, incident, duplicate_of, message):
        response = commander_client.post(
            action(incident, "cancel"),
            {"reason": CancelReason.DUPLICATE, "duplicate_of": duplicate_of},
        )
        assert response.status_code == 400
        assert message in text(response)
        assert fresh(incident).status == IncidentStatus.DECLARED

    def test_add_note(self, commander_client, incident):
        response = commander_client.post(action(incident, "note"), {"text": "Paged the DBA."})
        assert response.status_code == 302
        assert incident.timeline.get(kind=TimelineKind.NOTE).message == "Paged the DBA."
        assert "Paged the DBA." in text(commander_client.get(page(incident)))

    def test_empty_note_is_refused(self, commander_client, incident):
        response = commander_client.post(action(incident, "note"), {"text": ""})
        assert response.status_code == 400
        assert kinds(incident) == [TimelineKind.DECLARED]

    @pytest.mark.parametrize(
        ("name", "data"),
        [
            ("acknowledge", {}),
            ("status", {"status": "monitoring"}),
            ("update", {"message": "Hello"}),
            ("resolve", {"resolution": "Done"}),
            ("cancel", {"reason": CancelReason.NOT_AN_INCIDENT}),
            ("note", {"text": "Hello"}),
        ],
    )
    def test_stakeholder_post_is_forbidden(self, stakeholder_client, incident, name, data):
        assert stakeholder_client.post(action(incident, name), data).status_code == 403
        assert kinds(incident) == [TimelineKind.DECLARED]

    def test_stakeholder_cannot_mark_criteria(self, stakeholder_client, incident):
        criterion = incident.criteria.first()
        url = criterion_action(incident, criterion, "met")
        assert stakeholder_client.post(url).status_code == 403

    def test_actions_are_post_only(self, commander_client, incident):
        assert commander_client.get(action(incident, "acknowledge")).status_code == 405
        assert fresh(incident).acknowledged_at is None

    def test_unknown_action_is_404(self, commander_client, incident):
        assert commander_client.post(action(incident, "explode")).status_code == 404


class TestPreferences:
    def test_choose_a_time_zone(self, commander_client, commander_user):
        response = commander_client.post(
            reverse("portal:preferences"), {"time_zone": "America/New_York"}
        )
        assert response.status_code == 302
        assert str(UserPreference.objects.get(user=commander_user).time_zone) == (
            "America/New_York"
        )
        assert "Times in America/New_York" in text(commander_client.get(response.url))

    def test_unknown_zone_is_refused(self, commander_client, commander_user):
        response = commander_client.post(reverse("portal:preferences"), {"time_zone": "Mars/Base"})
        assert response.status_code == 400
        assert response.context["form"].errors
        assert not UserPreference.objects.filter(user=commander_user).exists()


@pytest.mark.parametrize(
    ("delta", "shown"),
    [
        (None, "—"),
        (timedelta(seconds=59), "0 min"),
        (timedelta(minutes=42), "42 min"),
        (timedelta(hours=1, minutes=5), "1 h 05 min"),
        (timedelta(days=2, hours=4, minutes=30), "2 d 4 h"),
    ],
)
def test_duration_filter(delta, shown):
    assert duration(delta) == shown
