"""Who activated and deactivated a response plan, and when (issue 15: activation took an actor
and dropped it). The plan decides who gets paged, so each change of its state is recorded with
the person who made it, through the admin's actions as through the service."""

import pytest
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.urls import reverse

from incidents.tests.factories import UserFactory
from response.models import CommunicationMethod, ResponsePlan, ResponsePlanStep
from response.services import response_plan_activate, response_plan_deactivate

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:response_responseplan_changelist")


@pytest.fixture
def plan():
    plan = ResponsePlan.objects.create(name="Every incident")
    ResponsePlanStep.objects.create(plan=plan, position=0, action="broadcast")
    for rank, channel, target in [(0, "slack", "incident_channel"), (1, "email", "each_person")]:
        CommunicationMethod.objects.create(
            plan=plan, audience="responders", rank=rank, channel=channel, target=target
        )
    return plan


def history(plan):
    return [(e.kind, e.actor) for e in plan.events.order_by("created_at", "id")]


def test_activation_and_deactivation_record_who(plan):
    ada, bo = UserFactory(username="ada"), UserFactory(username="bo")
    response_plan_activate(plan=plan, actor=ada)
    response_plan_deactivate(plan=plan, actor=bo)
    assert history(plan) == [("activated", ada), ("deactivated", bo)]


def test_nothing_is_recorded_when_nothing_changes(plan):
    response_plan_deactivate(plan=plan, actor=UserFactory())  # it was not active
    assert history(plan) == []


def test_a_refused_activation_records_nothing(plan):
    plan.communication_methods.filter(rank=1).delete()  # no backup left: refused
    with pytest.raises(ValidationError):
        response_plan_activate(plan=plan, actor=UserFactory())
    assert history(plan) == []


def test_the_admin_actions_record_the_signed_in_user(admin_client, admin_user, plan):
    for action in ("activate", "deactivate"):
        payload = {"action": action, helpers.ACTION_CHECKBOX_NAME: [plan.pk]}
        admin_client.post(CHANGELIST, payload, follow=True)
    assert history(plan) == [("activated", admin_user), ("deactivated", admin_user)]
    page = admin_client.get(reverse("admin:response_responseplan_change", args=[plan.pk]))
    events = page.context["inline_admin_formsets"][-1].formset.queryset
    assert [(e.kind, e.actor) for e in events] == history(plan)
