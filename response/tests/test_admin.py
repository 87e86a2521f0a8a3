"""Response plans in the admin: the pages, each method row checked by `method_errors`, the plan
and both inlines saved through response/services.py (an active plan checked whole, nothing saved
when the service refuses), and activation and deactivation with every refusal's messages."""

import pytest
from django.contrib.admin import helpers
from django.contrib.messages import ERROR, SUCCESS
from django.urls import reverse

from incidents.tests.factories import IncidentTypeFactory, SeverityFactory
from response.models import CommunicationMethod, ResponsePlan, ResponsePlanStep
from response.services import response_plan_activate

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:response_responseplan_changelist")
ADD = reverse("admin:response_responseplan_add")
STEPS, METHODS = "steps", "communication_methods"


def change_url(plan):
    return reverse("admin:response_responseplan_change", args=[plan.pk])


def sent(response, level=None):
    return [m.message for m in response.context["messages"] if level is None or m.level == level]


def act(client, action, *plans):
    payload = {"action": action, helpers.ACTION_CHECKBOX_NAME: [p.pk for p in plans]}
    return client.post(CHANGELIST, payload, follow=True)


def page_data(response):
    """What the change page would post back unchanged: the plan, every row of each inline and
    its management form, without the empty extra rows (`extra_row` fills one)."""
    data = {}
    form = response.context["adminform"].form
    for name in form.fields:
        if form[name].value() is not None:
            data[name] = form[name].value()
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        data[management.add_prefix("TOTAL_FORMS")] = formset.initial_form_count()
        for row in formset.initial_forms:
            for name in row.fields:
                value = row[name].value()
                if value is not None and value is not False:
                    data[row.add_prefix(name)] = value
    return data


def extra_row(data, prefix, **fields):
    """Add a row to an inline."""
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = index + 1
    for name, value in fields.items():
        data[f"{prefix}-{index}-{name}"] = value
    return data


def method(plan, audience, rank, channel, target, address=""):
    return CommunicationMethod.objects.create(
        plan=plan, audience=audience, rank=rank, channel=channel, target=target, address=address
    )


@pytest.fixture
def plan():
    """A plan that can be active: responders by Slack, then email; a manual step."""
    plan = ResponsePlan.objects.create(name="Every incident")
    ResponsePlanStep.objects.create(plan=plan, position=1, action="broadcast")
    ResponsePlanStep.objects.create(
        plan=plan, position=0, action="manual", title="Open the status page"
    )
    method(plan, "responders", 0, "slack", "incident_channel")
    method(plan, "responders", 1, "email", "each_person")
    return plan


@pytest.fixture
def active(plan):
    return response_plan_activate(plan=plan)


# --- Pages ----------------------------------------------------------------------------------


def test_pages_render(admin_client, plan):
    listing = admin_client.get(CHANGELIST)
    assert listing.status_code == 200
    row = listing.context["cl"].result_list[0]
    assert (row.n_steps, row.n_methods) == (2, 2)
    assert admin_client.get(ADD).status_code == 200
    page = admin_client.get(change_url(plan))
    assert page.status_code == 200
    steps = page.context["inline_admin_formsets"][0].formset.initial_forms
    assert [form.instance.position for form in steps] == [0, 1]  # in order of position
    assert "Nothing: every audience has a backup method." in page.text


def test_add_a_plan_with_steps_and_methods(admin_client):
    data = page_data(admin_client.get(ADD))
    data.update(name="Security incidents", incident_type=IncidentTypeFactory(slug="security").pk)
    extra_row(data, STEPS, position="0", action="manual", title="Call legal")
    extra_row(data, METHODS, audience="responders", rank="0", channel="slack")
    data[f"{METHODS}-0-target"] = "incident_channel"
    response = admin_client.post(ADD, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    plan = ResponsePlan.objects.get(name="Security incidents")
    assert not plan.is_active
    assert [s.title for s in plan.steps.all()] == ["Call legal"]
    assert plan.communication_methods.get().channel == "slack"
    page = admin_client.get(change_url(plan))
    assert "Responders: add a backup method" in page.text  # what activation would refuse


def test_each_method_row_shows_its_errors_on_its_fields(admin_client, plan):
    url = change_url(plan)
    data = page_data(admin_client.get(url))
    extra_row(data, METHODS, audience="executives", rank="0", channel="email")
    data[f"{METHODS}-2-target"] = "broadcast_channel"
    response = admin_client.post(url, data)
    assert response.status_code == 200
    [methods] = [
        f for f in response.context["inline_admin_formsets"] if f.formset.prefix == METHODS
    ]
    assert methods.formset.forms[2].errors == {
        "target": ["Only Slack has an incident or broadcast channel."]
    }

    data[f"{METHODS}-2-channel"] = "webhook"
    data[f"{METHODS}-2-target"] = "fixed"
    response = admin_client.post(url, data)
    [methods] = [
        f for f in response.context["inline_admin_formsets"] if f.formset.prefix == METHODS
    ]
    assert methods.formset.forms[2].errors == {
        "address": ["Give the address this method sends to."]
    }
    assert plan.communication_methods.count() == 2

    data[f"{METHODS}-2-address"] = "https://hooks.example.com/exec"
    assert admin_client.post(url, data).status_code == 302
    assert plan.communication_methods.count() == 3


# --- An active plan is checked whole --------------------------------------------------------


def test_an_edit_that_breaks_an_active_plan_saves_nothing(admin_client, active):
    url = change_url(active)
    data = page_data(admin_client.get(url))
    backup = active.communication_methods.get(rank=1)
    data[f"{METHODS}-1-DELETE"] = "on"
    data[f"{STEPS}-0-title"] = ""  # the manual step loses its title
    data["description"] = "Changed"
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "This plan is active: Responders: add a backup method (Slack down → email → SMS …).",
        "This plan is active: A manual step needs a title: it becomes a checklist item.",
    ]
    assert "This plan is active: Responders: add a backup method" in response.text
    active.refresh_from_db()
    assert active.description == "" and active.is_active
    assert active.communication_methods.filter(pk=backup.pk).exists()
    assert active.steps.get(position=0).title == "Open the status page"


def test_an_edit_that_keeps_the_rule_is_saved(admin_client, active):
    url = change_url(active)
    data = page_data(admin_client.get(url))
    data[f"{METHODS}-1-channel"] = "sms"
    extra_row(data, STEPS, position="2", action="page_function")  # no function: refused
    assert admin_client.post(url, data).status_code == 200
    assert active.steps.count() == 2

    data[f"{STEPS}-2-action"] = "schedule_reminders"
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    assert active.communication_methods.get(rank=1).channel == "sms"
    assert active.steps.count() == 3


def test_an_active_plan_keeps_its_scope(admin_client, active):
    data = page_data(admin_client.get(change_url(active)))
    assert "incident_type" not in data and "severity" not in data  # read-only
    data["incident_type"] = IncidentTypeFactory(slug="outage").pk
    assert admin_client.post(change_url(active), data).status_code == 302
    active.refresh_from_db()
    assert active.incident_type is None


def test_an_active_plan_is_not_deleted(admin_client, active):
    assert (
        admin_client.get(
            reverse("admin:response_responseplan_delete", args=[active.pk])
        ).status_code
        == 403
    )
    assert "delete_selected" not in admin_client.get(CHANGELIST).text


# --- Actions --------------------------------------------------------------------------------


def test_activation_refused_shows_each_message(admin_client, plan):
    lonely = ResponsePlan.objects.create(name="SEV1 outages", severity=SeverityFactory(rank=1))
    method(lonely, "responders", 0, "email", "each_person")
    ResponsePlanStep.objects.create(plan=lonely, action="page_function", title="Page")
    response = act(admin_client, "activate", plan, lonely)
    assert sent(response, SUCCESS) == ["Activated 1 response plan: Every incident."]
    assert sent(response, ERROR) == [
        "SEV1 outages: Responders: add a backup method (Slack down → email → SMS …).",
        "SEV1 outages: Step “Page”: choose the function to page.",
    ]
    lonely.refresh_from_db()
    plan.refresh_from_db()
    assert plan.is_active and not lonely.is_active


def test_activation_refused_for_a_second_plan_of_the_same_scope(admin_client, active):
    twin = ResponsePlan.objects.create(name="Also every incident")
    method(twin, "responders", 0, "slack", "incident_channel")
    method(twin, "responders", 1, "sms", "each_person")
    response = act(admin_client, "activate", twin)
    assert sent(response, ERROR) == [
        "Also every incident: “Every incident” is already active for the same incident type "
        "and severity."
    ]
    assert sent(response, SUCCESS) == []


def test_deactivate(admin_client, active):
    response = act(admin_client, "deactivate", active)
    assert sent(response, SUCCESS) == ["Deactivated 1 response plan: Every incident."]
    active.refresh_from_db()
    assert not active.is_active
