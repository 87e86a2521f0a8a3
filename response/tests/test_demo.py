"""The demo's response plans are made and activated through the services, as the demo's admin,
and a second run records nothing."""

import pytest
from django.contrib.auth import get_user_model

from incidents.demo.configuration import seed_configuration
from people.models import CriticalFunction
from response.demo import PLANS, seed_response_plans
from response.models import PlanEventKind, ResponsePlan, ResponsePlanEvent

pytestmark = pytest.mark.django_db


def test_the_demo_plans_are_audited_and_a_second_run_records_nothing():
    admin = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
    seed_configuration()
    for slug in ("communications-lead", "executive", "security-lead"):
        CriticalFunction.objects.create(slug=slug, name=slug)
    seed_response_plans()
    events = list(ResponsePlanEvent.objects.all())
    assert {e.actor for e in events} == {admin}
    for name in PLANS:
        assert [e.kind for e in events if e.plan_name == name] == [
            PlanEventKind.CREATED,
            PlanEventKind.STEPS_CHANGED,
            PlanEventKind.METHODS_CHANGED,
            PlanEventKind.ACTIVATED,
        ]
    assert ResponsePlan.objects.filter(is_active=True).count() == len(PLANS)
    seed_response_plans()
    assert ResponsePlanEvent.objects.count() == len(events)
