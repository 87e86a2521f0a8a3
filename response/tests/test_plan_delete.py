"""Deleting a response plan goes through `response_plan_delete`, which records who deleted it in
its transaction; the plan's history outlives it (issue 15 §3)."""

import pytest
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import reverse

from core.exceptions import TransitionNotAllowed
from response.models import PlanEventKind, ResponsePlan, ResponsePlanEvent
from response.services import response_plan_activate, response_plan_create, response_plan_delete
from response.tests.test_plan_edits import RESPONDERS, step, user_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def deleter():
    return user_with(
        "add_responseplan", "change_responseplan", "delete_responseplan", username="dee"
    )


@pytest.fixture
def plan(deleter):
    return response_plan_create(
        actor=deleter,
        name="Every incident",
        steps=[step(position=0, action="manual", title="Open the status page")],
        methods=RESPONDERS,
    )


def recorded():
    return [
        (e.plan_id, e.plan_name, e.kind, e.actor)
        for e in ResponsePlanEvent.objects.order_by("created_at", "id")
    ]


def test_delete_records_who_and_keeps_the_history(deleter, plan):
    response_plan_delete(actor=deleter, plan=plan)
    assert not ResponsePlan.objects.exists()
    assert recorded() == [
        (None, "Every incident", PlanEventKind.CREATED, deleter),
        (None, "Every incident", PlanEventKind.STEPS_CHANGED, deleter),
        (None, "Every incident", PlanEventKind.METHODS_CHANGED, deleter),
        (None, "Every incident", PlanEventKind.DELETED, deleter),
    ]
    assert ResponsePlanEvent.objects.last().message == (
        "Deleted, with its steps (1) and communication methods (2)."
    )


def test_an_active_plan_is_not_deleted(deleter, plan):
    response_plan_activate(plan=plan, actor=deleter)
    with pytest.raises(TransitionNotAllowed):
        response_plan_delete(actor=deleter, plan=plan)
    assert ResponsePlan.objects.exists()
    assert PlanEventKind.DELETED not in [kind for *_, kind, _actor in recorded()]


def test_delete_needs_the_permission(plan):
    editor = user_with("add_responseplan", "change_responseplan", username="ed")
    with pytest.raises(PermissionDenied, match="You may not delete Every incident."):
        response_plan_delete(actor=editor, plan=plan)
    assert ResponsePlan.objects.exists()
    assert PlanEventKind.DELETED not in [kind for *_, kind, _actor in recorded()]


def test_the_admin_delete_page_records_the_signed_in_user(admin_client, admin_user, plan):
    page = reverse("admin:response_responseplan_delete", args=[plan.pk])
    assert admin_client.post(page, {"post": "yes"}).status_code == 302
    assert not ResponsePlan.objects.exists()
    assert recorded()[-1] == (None, "Every incident", PlanEventKind.DELETED, admin_user)


def test_the_admin_bulk_delete_records_each(admin_user, deleter, plan):
    other = response_plan_create(actor=deleter, name="Security incident")
    request = RequestFactory().post("/admin/")
    request.user = admin_user
    admin.site._registry[ResponsePlan].delete_queryset(
        request, ResponsePlan.objects.filter(pk__in=[plan.pk, other.pk])
    )
    assert not ResponsePlan.objects.exists()
    deletions = [(name, actor) for _pk, name, kind, actor in recorded() if kind == "deleted"]
    assert sorted(deletions) == [("Every incident", admin_user), ("Security incident", admin_user)]


def test_the_history_list_shows_a_deleted_plans_rows(admin_client, deleter, plan):
    response_plan_delete(actor=deleter, plan=plan)
    page = admin_client.get(reverse("admin:response_responseplanevent_changelist"))
    assert page.status_code == 200
    assert len(page.context["cl"].result_list) == 4
    assert admin_client.get(reverse("admin:response_responseplanevent_add")).status_code == 403
