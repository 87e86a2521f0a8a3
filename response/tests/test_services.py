"""Response plans: the most specific active plan applies; a plan whose audience has no
backup method on another channel cannot be active."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection

from incidents.tests.factories import CriticalFunctionFactory, IncidentTypeFactory, SeverityFactory
from response.models import CommunicationMethod, ResponsePlan, ResponsePlanStep
from response.services import method_errors, response_plan_activate, response_plan_for

pytestmark = pytest.mark.django_db

RESPONDERS_OK = [("slack", "incident_channel", ""), ("email", "each_person", "")]


def plan(name, *, incident_type=None, severity=None, methods=None, steps=(), active=False):
    made = ResponsePlan.objects.create(name=name, incident_type=incident_type, severity=severity)
    for audience, ranked in (methods or {"responders": RESPONDERS_OK}).items():
        for rank, (channel, target, address) in enumerate(ranked):
            CommunicationMethod.objects.create(
                plan=made,
                audience=audience,
                rank=rank,
                channel=channel,
                target=target,
                address=address,
            )
    for position, (action, extra) in enumerate(steps):
        ResponsePlanStep.objects.create(plan=made, position=position, action=action, **extra)
    return response_plan_activate(plan=made) if active else made


@pytest.fixture
def outage():
    return IncidentTypeFactory(name="Outage", slug="outage")


@pytest.fixture
def sev1():
    return SeverityFactory(name="SEV1", rank=1)


def test_the_most_specific_active_plan_applies(outage, sev1):
    sev2 = SeverityFactory(name="SEV2", rank=2)
    default = plan("Default", active=True)
    by_type = plan("Outages", incident_type=outage, active=True)
    by_both = plan("Major outage", incident_type=outage, severity=sev1, active=True)
    by_severity = plan("Any SEV1", severity=sev1, active=True)
    plan("Draft", incident_type=outage, severity=sev2)  # not active: ignored
    other = IncidentTypeFactory(name="Security", slug="security")
    assert response_plan_for(incident_type=outage, severity=sev1) == by_both
    assert response_plan_for(incident_type=outage, severity=sev2) == by_type
    assert response_plan_for(incident_type=other, severity=sev1) == by_severity
    assert response_plan_for(incident_type=other, severity=sev2) == default


def test_no_active_plan_means_the_built_in_default(outage, sev1):
    plan("Draft")
    assert response_plan_for(incident_type=outage, severity=sev1) is None


@pytest.mark.parametrize(
    ("methods", "message"),
    [
        ({"responders": [("slack", "incident_channel", "")]}, "Responders: add a backup method"),
        (
            {"responders": [("email", "each_person", ""), ("email", "fixed", "ops@example.com")]},
            "the backup must use another channel than Email",
        ),
        (
            {
                "responders": RESPONDERS_OK,
                "customers": [("webhook", "fixed", "https://status.example.com/hook")],
            },
            "Customers: add a backup method",
        ),
        ({"stakeholders": RESPONDERS_OK}, "Responders: say how they are reached"),
    ],
)
def test_an_audience_without_a_backup_method_is_refused(methods, message):
    draft = plan("Thin", methods=methods)
    with pytest.raises(ValidationError) as refused:
        response_plan_activate(plan=draft)
    assert any(message in m for m in refused.value.messages)
    draft.refresh_from_db()
    assert not draft.is_active


def test_steps_need_what_their_action_uses():
    draft = plan(
        "Steps",
        steps=[
            ("page_function", {}),
            ("broadcast", {"audience": "executives"}),
            ("manual", {"title": " "}),
        ],
    )
    with pytest.raises(ValidationError) as refused:
        response_plan_activate(plan=draft)
    text = " ".join(refused.value.messages)
    assert "choose the function to page" in text
    assert "no methods for Executives" in text
    assert "A manual step needs a title" in text


def test_one_active_plan_per_scope(outage):
    plan("First", incident_type=outage, active=True)
    second = plan("Second", incident_type=outage)
    with pytest.raises(ValidationError, match="already active"):
        response_plan_activate(plan=second)
    if connection.features.supports_nulls_distinct_unique_constraints:
        with pytest.raises(IntegrityError):  # PostgreSQL holds the rule too
            ResponsePlan.objects.filter(pk=second.pk).update(is_active=True)


def test_a_valid_plan_with_a_page_step_activates():
    comms = CriticalFunctionFactory(name="Communications lead", slug="communications-lead")
    active = plan("Paging", steps=[("page_function", {"function": comms})], active=True)
    assert active.is_active


@pytest.mark.parametrize(
    ("channel", "target", "address", "field"),
    [
        ("email", "incident_channel", "", "target"),
        ("webhook", "each_person", "", "target"),
        ("webhook", "fixed", "", "address"),
        ("slack", "each_person", "U123", "address"),
    ],
)
def test_method_errors_name_the_field(channel, target, address, field):
    method = CommunicationMethod(channel=channel, target=target, address=address)
    assert field in method_errors(method)


def test_a_sound_method_has_no_errors():
    method = CommunicationMethod(channel="sms", target="fixed", address="+15550100")
    assert method_errors(method) == {}
