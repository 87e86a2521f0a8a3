"""The priority matrix's changes are recorded (issue 15 §3): `priority_matrix_set` writes a
ConfigurationEvent with the actor and the cell's priority before and after, in its transaction,
and nothing when the cell already suggests that priority; the admin and the API call it with
the signed-in user."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from rest_framework.test import APIClient

from incidents.tests import factories
from policy import services
from policy.models import ConfigurationEvent, ConfigurationEventKind, PriorityMatrixCell
from policy.tests.factories import manager

pytestmark = pytest.mark.django_db


@pytest.fixture
def mona():
    return manager(is_staff=True)


@pytest.fixture
def p1():
    return factories.PriorityFactory(name="P1", rank=1)


@pytest.fixture
def p2():
    return factories.PriorityFactory(name="P2", rank=2)


def history():
    return [
        (e.kind, e.actor, e.about_type.model, e.about_id, e.description, e.changes)
        for e in ConfigurationEvent.objects.order_by("id")
    ]


def test_setting_a_cell_records_its_priority_before_and_after(mona, p1, p2):
    services.priority_matrix_set(actor=mona, impact="high", urgency="low", priority=p2)
    services.priority_matrix_set(actor=mona, impact="high", urgency="low", priority=p1)
    cell = PriorityMatrixCell.objects.get()
    about = ("prioritymatrixcell", cell.pk, "Priority matrix: High impact × Low urgency")
    assert history() == [
        (
            ConfigurationEventKind.CREATED,
            mona,
            *about,
            {"priority": {"before": None, "after": "P2"}},
        ),
        (
            ConfigurationEventKind.UPDATED,
            mona,
            *about,
            {"priority": {"before": "P2", "after": "P1"}},
        ),
    ]


def test_setting_a_cell_to_what_it_holds_records_nothing(mona, p1):
    services.priority_matrix_set(actor=mona, impact="high", urgency="low", priority=p1)
    services.priority_matrix_set(actor=mona, impact="high", urgency="low", priority=p1)
    assert len(history()) == 1


def test_a_refused_change_records_nothing(p1):
    with pytest.raises(PermissionDenied):
        services.priority_matrix_set(
            actor=factories.UserFactory(username="pat"), impact="high", urgency="low", priority=p1
        )
    assert history() == []


def test_the_admin_records_the_signed_in_user(client, mona, p1, p2):
    client.force_login(mona)
    add = reverse("admin:policy_prioritymatrixcell_add")
    assert (
        client.post(add, {"impact": "high", "urgency": "low", "priority": p2.pk}).status_code == 302
    )
    cell = PriorityMatrixCell.objects.get()
    change = reverse("admin:policy_prioritymatrixcell_change", args=[cell.pk])
    assert client.post(change, {"priority": p1.pk}).status_code == 302
    assert [(kind, actor) for kind, actor, *_ in history()] == [
        (ConfigurationEventKind.CREATED, mona),
        (ConfigurationEventKind.UPDATED, mona),
    ]


def test_the_api_records_the_signed_in_user(mona, p1):
    api = APIClient()
    api.force_authenticate(mona)
    body = {"impact": "high", "urgency": "low", "priority": "P1"}
    assert api.post("/api/v1/priority-matrix/", body, format="json").status_code == 200
    assert [(kind, actor) for kind, actor, *_ in history()] == [
        (ConfigurationEventKind.CREATED, mona)
    ]
