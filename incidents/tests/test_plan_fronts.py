"""An incident's response plan and notifications on the portal and the API, response plans on
the API, and the contact fields of the preferences page."""

import itertools

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from incidents import services
from incidents.models import CancelReason, IncidentPlanStep, PlanStepState, TimelineKind
from incidents.tests import factories
from notifications.models import Delivery, DeliveryStatus, Notification
from people.models import UserPreference
from response.models import CommunicationMethod, ResponsePlan, ResponsePlanStep
from response.services import response_plan_activate

pytestmark = pytest.mark.django_db

API = "/api/v1/incidents/"
PLANS = "/api/v1/response-plans/"
_keys = itertools.count()


def api_client(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def page_url(incident):
    return reverse("portal:incident", args=[incident.reference])


def done_url(incident, step):
    return reverse("portal:plan-step-done", args=[incident.reference, step.pk])


def complete_url(incident, step_id):
    return f"{API}{incident.reference}/plan-steps/{step_id}/complete/"


def step(incident, title):
    return incident.plan_steps.get(title=title)


def delivery(incident, *, audience="responders", event="declared", channel="email", **fields):
    notification = Notification.objects.create(
        event=event,
        audience=audience,
        about=incident,
        subject=f"{event} for {audience}",
        methods=[{"channel": channel, "target": "each_person", "address": ""}],
    )
    fields.setdefault("address", "cora@example.com")
    return Delivery.objects.create(
        notification=notification,
        channel=channel,
        idempotency_key=f"test:{next(_keys)}",
        **fields,
    )


@pytest.fixture
def plan():
    """The active plan for every incident: two checklist items around the broadcast."""
    plan = ResponsePlan.objects.create(name="Every incident", description="The default.")
    ResponsePlanStep.objects.create(
        plan=plan, position=0, action="manual", title="Open the status page"
    )
    ResponsePlanStep.objects.create(plan=plan, position=1, action="broadcast")
    ResponsePlanStep.objects.create(plan=plan, position=2, action="manual", title="Tell support")
    for rank, (channel, target) in enumerate(
        [("slack", "incident_channel"), ("email", "each_person")]
    ):
        CommunicationMethod.objects.create(
            plan=plan, audience="responders", rank=rank, channel=channel, target=target
        )
    return response_plan_activate(plan=plan)


@pytest.fixture
def planned(plan, declare):
    """An incident declared under the plan; its steps wait (no task runs in these tests)."""
    return declare()


@pytest.fixture
def commander_client(client, commander_user):
    client.force_login(commander_user)
    return client


@pytest.fixture
def private_incident(plan, declare, security_type):
    return declare(title="Leaked credentials", incident_type=security_type)


# --- Portal: the Response plan panel --------------------------------------------------------


class TestPlanPanel:
    def test_lists_the_steps_in_order_with_their_state(self, commander_client, planned):
        IncidentPlanStep.objects.filter(incident=planned, action="broadcast").update(
            state=PlanStepState.DONE, detail="Announced to responders."
        )
        response = commander_client.get(page_url(planned))
        assert response.status_code == 200
        steps = list(response.context["plan_steps"])
        assert [s.title for s in steps] == [
            "Open the status page",
            "Broadcast the declaration",
            "Tell support",
        ]
        page = response.text
        assert 'id="plan"' in page
        assert '<span class="status step-done">Done</span>' in page
        assert page.count('<span class="status step-pending">Pending</span>') == 2
        assert "Announced to responders." in page
        for manual in ("Open the status page", "Tell support"):
            assert f'action="{done_url(planned, step(planned, manual))}"' in page
        broadcast = step(planned, "Broadcast the declaration")
        assert done_url(planned, broadcast) not in page

    def test_without_a_plan_the_default_steps_show(self, commander_client, incident):
        page = commander_client.get(page_url(incident)).text
        assert "Create the incident channel" in page
        assert "Mark done" not in page  # the built-in steps all run by themselves

    def test_mark_done(self, commander_client, planned, commander_user):
        target = step(planned, "Open the status page")
        response = commander_client.post(done_url(planned, target))
        assert response.status_code == 302
        assert response.url == page_url(planned) + "#plan"
        target.refresh_from_db()
        assert target.state == PlanStepState.DONE and target.done_by == commander_user
        assert planned.timeline.latest("id").kind == TimelineKind.PLAN_STEP
        page = commander_client.get(response.url).text
        assert "Done: Open the status page." in page  # the message
        assert "Done by cora" in page
        assert done_url(planned, target) not in page

        again = commander_client.post(done_url(planned, target))
        assert again.status_code == 400
        assert "This step is already done." in again.text

    def test_a_step_that_runs_by_itself_is_refused(self, commander_client, planned):
        broadcast = step(planned, "Broadcast the declaration")
        response = commander_client.post(done_url(planned, broadcast))
        assert response.status_code == 400
        assert "This step runs by itself; it cannot be ticked off." in response.text
        broadcast.refresh_from_db()
        assert broadcast.state == PlanStepState.PENDING

    def test_a_step_of_another_incident_is_refused(self, commander_client, planned, declare):
        other = step(declare(title="Another"), "Tell support")
        response = commander_client.post(done_url(planned, other))
        assert response.status_code == 400
        assert "This step is not part of the incident&#x27;s plan." in response.text

    def test_an_incident_no_longer_active_is_409(self, commander_client, planned, commander_user):
        services.incident_cancel(
            incident=planned, actor=commander_user, reason=CancelReason.NOT_AN_INCIDENT
        )
        target = step(planned, "Tell support")
        response = commander_client.post(done_url(planned, target))
        assert response.status_code == 409
        assert "it can no longer complete response plan steps" in response.text
        assert "Mark done" not in response.text

    def test_a_stakeholder_sees_the_plan_but_cannot_tick_it_off(
        self, client, planned, stakeholder_user
    ):
        client.force_login(stakeholder_user)
        target = step(planned, "Tell support")
        page = client.get(page_url(planned)).text
        assert "Tell support" in page and "Mark done" not in page
        assert client.post(done_url(planned, target)).status_code == 403
        target.refresh_from_db()
        assert target.state == PlanStepState.PENDING

    def test_a_private_incident_is_404_to_outsiders(
        self, client, private_incident, stakeholder_user
    ):
        client.force_login(stakeholder_user)
        target = step(private_incident, "Tell support")
        assert client.get(page_url(private_incident)).status_code == 404
        assert client.post(done_url(private_incident, target)).status_code == 404
        target.refresh_from_db()
        assert target.state == PlanStepState.PENDING

    def test_needs_a_login_and_a_post(self, commander_client, planned):
        target = step(planned, "Tell support")
        response = Client().post(done_url(planned, target))
        assert response.status_code == 302 and "/accounts/login/" in response.url
        assert commander_client.get(done_url(planned, target)).status_code == 405


# --- Portal: the Notifications panel ----------------------------------------------------------


class TestNotificationsPanel:
    def test_deliveries_grouped_by_audience_newest_first(self, commander_client, incident):
        slack = delivery(
            incident,
            channel="slack",
            address="#inc-checkout",
            status=DeliveryStatus.FAILED_OVER,
            attempts=5,
            last_error="Slack answered 503",
        )
        email = delivery(incident, status=DeliveryStatus.SENT, attempts=1, failed_over_from=slack)
        broadcast = delivery(
            incident,
            audience="stakeholders",
            event="update_posted",
            channel="slack",
            address="#incidents",
        )
        response = commander_client.get(page_url(incident))
        groups = response.context["deliveries_by_audience"]
        assert [(audience, [d.pk for d in rows]) for audience, rows in groups] == [
            ("Stakeholders", [broadcast.pk]),
            ("Responders", [email.pk, slack.pk]),
        ]
        page = response.text
        assert "3 deliveries, newest first." in page
        assert '<span class="status delivery-failed_over">Failed over to a backup</span>' in page
        assert "Slack answered 503" in page
        assert "↳ backup for Slack → #inc-checkout" in page
        assert "Status update" in page  # the event

    def test_the_incident_channel_shows_by_name(self, commander_client, incident):
        incident.slack_channel_id = "C0INC"
        incident.save(update_fields=["slack_channel_id"])
        delivery(incident, channel="slack", address="C0INC")
        page = commander_client.get(page_url(incident)).text
        assert f'<span class="delivery-address">#{incident.channel_name}</span>' in page

    def test_the_latest_fifty_are_shown(self, commander_client, incident):
        for n in range(53):
            delivery(incident, address=f"person{n}@example.com")
        response = commander_client.get(page_url(incident))
        [(_audience, rows)] = response.context["deliveries_by_audience"]
        assert len(rows) == 50 and rows[0].address == "person52@example.com"
        assert "The latest 50 of 53 deliveries, newest first." in response.text

    def test_nothing_sent_yet(self, commander_client, incident):
        assert (
            "Nothing was sent about this incident yet."
            in commander_client.get(page_url(incident)).text
        )

    def test_the_page_reads_deliveries_in_constant_queries(self, commander_client, planned):
        def queries():
            with CaptureQueriesContext(connection) as captured:
                assert commander_client.get(page_url(planned)).status_code == 200
            return len(captured)

        first = delivery(planned, status=DeliveryStatus.FAILED_OVER)
        queries()  # warm caches
        few = queries()
        for n in range(8):
            delivery(
                planned, audience=["executives", "stakeholders"][n % 2], failed_over_from=first
            )
        assert queries() == few


# --- Portal: preferences ----------------------------------------------------------------------


class TestPreferences:
    def test_phone(self, commander_client, commander_user):
        url = reverse("portal:preferences")
        page = commander_client.get(url).text
        assert 'type="tel"' in page
        refused = commander_client.post(url, {"time_zone": "UTC", "phone": "06 12 34 56 78"})
        assert refused.status_code == 400
        assert "Use the international form, e.g. +33612345678." in refused.text
        assert not UserPreference.objects.filter(user=commander_user).exists()
        saved = commander_client.post(url, {"time_zone": "Europe/Paris", "phone": "+33612345678"})
        assert saved.status_code == 302
        assert UserPreference.objects.get(user=commander_user).phone == "+33612345678"


# --- API: an incident's plan steps ------------------------------------------------------------


class TestPlanStepsApi:
    def test_list(self, planned, stakeholder_user):
        response = api_client(stakeholder_user).get(f"{API}{planned.reference}/plan-steps/")
        assert response.status_code == 200, response.content
        rows = response.json()
        assert [(r["position"], r["title"], r["manual"], r["state"]) for r in rows] == [
            (0, "Open the status page", True, "pending"),
            (1, "Broadcast the declaration", False, "pending"),
            (2, "Tell support", True, "pending"),
        ]
        assert rows[1]["action"] == "broadcast"
        assert set(rows[0]) == {
            "id",
            "position",
            "action",
            "title",
            "manual",
            "audience",
            "function",
            "state",
            "detail",
            "attempts",
            "done_at",
            "done_by",
        }

    @pytest.mark.parametrize("role", ["commander", "responder", "stakeholder"])
    @pytest.mark.parametrize("active", [True, False])
    @pytest.mark.parametrize("kind", ["manual", "done", "automatic"])
    def test_complete_matrix(
        self, planned, commander_user, responder_user, stakeholder_user, role, active, kind
    ):
        user = {
            "commander": commander_user,
            "responder": responder_user,
            "stakeholder": stakeholder_user,
        }[role]
        title = {
            "manual": "Tell support",
            "done": "Open the status page",
            "automatic": "Broadcast the declaration",
        }[kind]
        target = step(planned, title)
        if kind == "done":
            IncidentPlanStep.objects.filter(pk=target.pk).update(state=PlanStepState.DONE)
        if not active:
            services.incident_cancel(
                incident=planned, actor=commander_user, reason=CancelReason.NOT_AN_INCIDENT
            )
        before = IncidentPlanStep.objects.get(pk=target.pk).state
        response = api_client(user).post(complete_url(planned, target.pk))
        if role == "stakeholder":
            expected = 403
        elif not active:
            expected = 409
        else:
            expected = 200 if kind == "manual" else 400
        assert response.status_code == expected, response.content
        target.refresh_from_db()
        if expected == 200:
            assert response.json()["state"] == "done"
            assert response.json()["done_by"] == user.username
            assert target.state == PlanStepState.DONE
        else:
            assert target.state == before
        if expected == 400:
            assert set(response.json()) == {"step"}

    def test_a_step_not_of_this_incident_is_a_field_error(self, planned, commander_user):
        response = api_client(commander_user).post(complete_url(planned, 999999))
        assert response.status_code == 400
        assert response.json() == {"step": ["This step is not part of the incident's plan."]}

    def test_a_private_incident_is_404_to_outsiders(self, private_incident, stakeholder_user):
        client = api_client(stakeholder_user)
        target = step(private_incident, "Tell support")
        assert client.get(f"{API}{private_incident.reference}/plan-steps/").status_code == 404
        assert client.post(complete_url(private_incident, target.pk)).status_code == 404

    def test_idempotency_key_replays(self, planned, commander_user):
        client = api_client(commander_user)
        url = complete_url(planned, step(planned, "Tell support").pk)
        first = client.post(url, HTTP_IDEMPOTENCY_KEY="tick-1")
        again = client.post(url, HTTP_IDEMPOTENCY_KEY="tick-1")
        assert first.status_code == again.status_code == 200
        assert again.headers["Idempotent-Replayed"] == "true"


# --- API: response plans -----------------------------------------------------------------------


@pytest.fixture
def reader():
    user = factories.UserFactory(username="integration")
    user.user_permissions.add(
        Permission.objects.get(codename="view_responseplan", content_type__app_label="response")
    )
    return user


class TestResponsePlansApi:
    def test_plans_with_their_steps_and_methods(self, plan, reader, outage):
        draft = ResponsePlan.objects.create(name="Outages", incident_type=outage)
        response = api_client(reader).get(PLANS)
        assert response.status_code == 200, response.content
        listed = response.json()["results"]
        assert [p["name"] for p in listed] == ["Every incident", "Outages"]
        every = listed[0]
        assert (every["is_active"], every["incident_type"], every["severity"]) == (
            True,
            None,
            None,
        )
        assert [s["title"] for s in every["steps"]] == ["Open the status page", "", "Tell support"]
        assert every["steps"][1]["action"] == "broadcast"
        assert every["methods"] == {
            "responders": [
                {"rank": 0, "channel": "slack", "target": "incident_channel", "address": ""},
                {"rank": 1, "channel": "email", "target": "each_person", "address": ""},
            ],
            "stakeholders": [],
            "executives": [],
            "customers": [],
        }
        detail = api_client(reader).get(f"{PLANS}{draft.pk}/").json()
        assert (detail["incident_type"], detail["is_active"]) == ("outage", False)

    def test_filters(self, plan, reader, outage, sev1):
        ResponsePlan.objects.create(name="Outages", incident_type=outage)
        ResponsePlan.objects.create(name="SEV1", severity=sev1)
        client = api_client(reader)

        def names(**params):
            response = client.get(PLANS, params)
            assert response.status_code == 200, response.content
            return [p["name"] for p in response.json()["results"]]

        assert names(active="true") == ["Every incident"]
        assert names(active="false") == ["Outages", "SEV1"]
        assert names(incident_type="outage") == ["Outages"]
        assert names(severity="SEV1") == ["SEV1"]

    def test_constant_number_of_queries(self, plan, reader, outage):
        client = api_client(reader)

        def queries():
            with CaptureQueriesContext(connection) as captured:
                assert client.get(PLANS).status_code == 200
            return len(captured)

        queries()
        few = queries()
        for n in range(4):
            more = ResponsePlan.objects.create(name=f"Plan {n}", incident_type=outage)
            ResponsePlanStep.objects.create(plan=more, action="manual", title="Check")
            CommunicationMethod.objects.create(
                plan=more, audience="executives", channel="email", target="each_person"
            )
        assert queries() == few

    def test_only_readers_of_plans(self, plan, commander_user):
        # Methods may name fixed addresses: webhook URLs, phone numbers.
        assert api_client(commander_user).get(PLANS).status_code == 403
        assert api_client(commander_user).get(f"{PLANS}{plan.pk}/").status_code == 403
        assert api_client().get(PLANS).status_code in (401, 403)

    def test_read_only(self, plan, reader):
        assert api_client(reader).post(PLANS, {"name": "New"}).status_code == 405
        assert api_client(reader).delete(f"{PLANS}{plan.pk}/").status_code == 405


# --- Admin: the incident's plan, read-only ------------------------------------------------------


def test_the_incident_admin_shows_the_plan_steps(admin_client, planned):
    response = admin_client.get(reverse("admin:incidents_incident_change", args=[planned.pk]))
    assert response.status_code == 200
    [steps] = [
        inline
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.model is IncidentPlanStep
    ]
    assert [form.instance.title for form in steps.formset.forms] == [
        "Open the status page",
        "Broadcast the declaration",
        "Tell support",
    ]
    assert not steps.has_add_permission and not steps.has_change_permission
