"""Affected services and the playbook checklist on every front door: API, portal, admin."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from incidents.models import Incident, TimelineKind
from incidents.tests.playbook_setup import approved
from incidents.views import service_page_url
from playbooks.tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/incidents/"


def api_client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def body(**overrides):
    return {
        "title": "Checkout is failing",
        "incident_type": "outage",
        "severity": "SEV2",
        "affects_customers": True,
        "unplanned": True,
        "exceeds_one_hour": True,
        **overrides,
    }


@pytest.fixture
def checklist(declare, checkout_service):
    approved(checkout_service)
    incident = declare(services=[checkout_service])
    return incident, incident.playbook_steps.order_by("position").first()


# --- API ------------------------------------------------------------------------------------


class TestApi:
    def test_declare_with_service_slugs(
        self, commander_user, outage, sev2, checkout_service, payments_service
    ):
        approved(checkout_service, "Roll back")
        response = api_client(commander_user).post(
            API, body(services=["checkout", "payments"]), format="json"
        )
        assert response.status_code == 201, response.content
        data = response.json()
        assert data["services"] == [
            {"slug": "checkout", "name": "Checkout", "tier": 1},
            {"slug": "payments", "name": "Payments", "tier": 2},
        ]
        assert data["playbooks"] == [
            {
                "service": "checkout",
                "playbook": "Checkout runbook",
                "version": 1,
                "linked_at": data["playbooks"][0]["linked_at"],
            },
            {
                "service": "payments",
                "playbook": None,
                "version": None,
                "linked_at": data["playbooks"][1]["linked_at"],
            },
        ]
        [step] = data["playbook_steps"]
        assert (step["service"], step["version"], step["text"], step["done"]) == (
            "checkout",
            1,
            "Roll back",
            False,
        )

    def test_an_unknown_slug_is_a_field_error(self, commander_user, outage, sev2):
        response = api_client(commander_user).post(API, body(services=["nope"]), format="json")
        assert response.status_code == 400
        assert "services" in response.json()
        assert not Incident.objects.exists()

    def test_an_inactive_service_is_the_service_s_field_error(self, commander_user, outage, sev2):
        ServiceFactory(name="Legacy", slug="legacy", is_active=False)
        response = api_client(commander_user).post(API, body(services=["legacy"]), format="json")
        assert response.status_code == 400
        assert response.json()["services"] == ["No longer in service: Legacy."]

    def test_complete_a_step(self, checklist, commander_user):
        incident, step = checklist
        url = f"{API}{incident.reference}/playbook-steps/{step.pk}/complete/"
        client = api_client(commander_user)
        response = client.post(url, {"note": "Done at 14:05"}, format="json")
        assert response.status_code == 200, response.content
        assert response.json()["done"] and response.json()["done_by"] == "cora"
        assert response.json()["note"] == "Done at 14:05"
        assert client.post(url, {}, format="json").status_code == 409
        other = f"{API}{incident.reference}/playbook-steps/999999/complete/"
        assert client.post(other, {}, format="json").status_code == 400
        detail = client.get(f"{API}{incident.reference}/").json()
        assert detail["playbook_steps"][0]["done"] is True

    def test_a_stakeholder_cannot_complete_a_step(self, checklist, stakeholder_user):
        incident, step = checklist
        url = f"{API}{incident.reference}/playbook-steps/{step.pk}/complete/"
        assert api_client(stakeholder_user).post(url, {}, format="json").status_code == 403

    def test_filter_by_service(self, declare, commander_user, checkout_service, payments_service):
        declare(title="Both", services=[checkout_service, payments_service])
        declare(title="Payments only", services=[payments_service])
        declare(title="None")
        client = api_client(commander_user)

        def titles(**params):
            return sorted(i["title"] for i in client.get(API, params).json()["results"])

        assert titles(service="checkout") == ["Both"]
        assert titles(service="payments") == ["Both", "Payments only"]
        assert client.get(API, {"service": "nope"}).status_code == 400


# --- Portal ---------------------------------------------------------------------------------


@pytest.fixture
def commander_client(client, commander_user):
    client.force_login(commander_user)
    return client


class TestPortal:
    def test_declare_form_offers_active_services_by_tier(
        self, commander_client, checkout_service, payments_service
    ):
        ServiceFactory(name="Legacy", slug="legacy", is_active=False)
        form = commander_client.get(reverse("portal:declare")).context["form"]
        groups = [
            (label, [c[1] for c in choices]) for label, choices in form["services"].field.choices
        ]
        assert groups == [("Tier 1", ["Checkout"]), ("Tier 2", ["Payments"])]
        page = commander_client.get(reverse("portal:declare")).content.decode()
        assert '<optgroup label="Tier 1">' in page

    def test_declare_with_services_shows_the_playbooks_panel(
        self, commander_client, outage, sev2, checkout_service, payments_service
    ):
        approved(checkout_service, "Roll back the deploy")
        response = commander_client.post(
            reverse("portal:declare"),
            {
                "title": "Checkout is failing",
                "incident_type": outage.pk,
                "severity": sev2.pk,
                "services": [checkout_service.pk, payments_service.pk],
                "affects_customers": "on",
                "unplanned": "on",
                "exceeds_one_hour": "on",
            },
            follow=True,
        )
        incident = Incident.objects.get()
        assert set(incident.services.all()) == {checkout_service, payments_service}
        page = response.content.decode()
        assert "Checkout runbook, approved version 1." in page
        assert "Roll back the deploy" in page
        assert "Payments has no approved playbook." in page
        service_page = service_page_url(checkout_service)  # None until that page exists
        assert (f'<a href="{service_page}">Checkout</a>' in page) is bool(service_page)
        step = incident.playbook_steps.get()
        done = reverse("portal:playbook-step-action", args=[incident.reference, step.pk, "done"])
        assert f'action="{done}"' in page

    def test_done_button_completes_the_step(self, commander_client, checklist):
        incident, step = checklist
        url = reverse("portal:playbook-step-action", args=[incident.reference, step.pk, "done"])
        response = commander_client.post(url, {"note": "Rolled back"})
        assert response.status_code == 302
        step.refresh_from_db()
        assert step.is_done and step.note == "Rolled back"
        assert incident.timeline.latest("id").kind == TimelineKind.PLAYBOOK_STEP_DONE
        again = commander_client.post(url, {})
        assert again.status_code == 409
        assert "is already done" in again.content.decode()
        page = commander_client.get(reverse("portal:incident", args=[incident.reference]))
        assert "Done by" in page.content.decode()

    def test_no_done_button_for_a_stakeholder(self, client, checklist, stakeholder_user):
        incident, step = checklist
        client.force_login(stakeholder_user)
        page = client.get(reverse("portal:incident", args=[incident.reference])).content.decode()
        assert "Roll back the deploy" in page
        done = reverse("portal:playbook-step-action", args=[incident.reference, step.pk, "done"])
        assert done not in page
        assert client.post(done, {}).status_code == 403

    def test_unknown_step_action_is_404(self, commander_client, checklist):
        incident, step = checklist
        url = reverse("portal:playbook-step-action", args=[incident.reference, step.pk, "undo"])
        assert commander_client.post(url).status_code == 404

    def test_the_list_filters_by_service(self, commander_client, declare, checkout_service):
        declare(title="Checkout down", services=[checkout_service])
        declare(title="Something else")
        response = commander_client.get(reverse("portal:incident-list"), {"service": "checkout"})
        assert [i.title for i in response.context["page"].object_list] == ["Checkout down"]


# --- Admin ----------------------------------------------------------------------------------


def change_url(incident):
    return reverse("admin:incidents_incident_change", args=[incident.pk])


class TestAdmin:
    def test_change_page_shows_the_checklist_read_only(self, admin_client, checklist):
        incident, _step = checklist
        response = admin_client.get(change_url(incident))
        assert response.status_code == 200
        page = response.content.decode()
        assert "Roll back the deploy" in page and "Checkout runbook v1" in page
        names = {f.opts.__class__.__name__ for f in response.context["inline_admin_formsets"]}
        assert {"PlaybookLinkInline", "PlaybookStepInline"} <= names

    def test_change_form_edits_the_services(
        self, admin_client, checklist, payments_service, checkout_service
    ):
        incident, _step = checklist
        form = admin_client.get(change_url(incident)).context["adminform"].form
        data = {
            name: form[name].value() if form[name].value() is not None else ""
            for name in form.fields
        }
        data.update(
            services=[checkout_service.pk, payments_service.pk],
            detected_at_0=f"{incident.detected_at:%Y-%m-%d}",
            detected_at_1=f"{incident.detected_at:%H:%M:%S}",
            impact_started_at_0="",
            impact_started_at_1="",
            environments="",
            regions="",
        )
        data = {k: v for k, v in data.items() if k not in ("detected_at", "impact_started_at")}
        response = admin_client.post(change_url(incident), data)
        assert response.status_code == 302, response.context["adminform"].form.errors
        assert set(incident.services.all()) == {checkout_service, payments_service}
        event = incident.timeline.get(kind=TimelineKind.DETAILS_CHANGED)
        assert event.after["services"] == ["checkout", "payments"]


def test_seed_demo_names_catalogued_services(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo")
    checkout = Incident.objects.get(title__startswith="Checkout API")
    assert [s.slug for s in checkout.services.all()] == ["checkout"]
    assert checkout.services.get().owner_team.slug == "payments"
    assert Incident.objects.filter(services__isnull=False).distinct().count() == 6
