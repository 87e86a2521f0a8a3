"""Every change to a plan goes through its service, which records who made it and what changed
(issue 15 §3); a refusal saves nothing and records nothing. Through the admin as directly."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError

from incidents.tests.factories import IncidentTypeFactory, UserFactory
from response.models import (
    CommunicationMethod,
    PlanEventKind,
    ResponsePlan,
    ResponsePlanEvent,
    ResponsePlanStep,
)
from response.services import (
    response_plan_activate,
    response_plan_create,
    response_plan_parts_set,
    response_plan_update,
)
from response.tests.test_admin import ADD, METHODS, STEPS, change_url, extra_row, page_data

pytestmark = pytest.mark.django_db


def user_with(*codenames, **fields):
    user = UserFactory(**fields)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


@pytest.fixture
def editor():
    return user_with("add_responseplan", "change_responseplan", username="ed")


def history(plan):
    return [(e.kind, e.actor, e.message) for e in plan.events.order_by("created_at", "id")]


def step(**fields):
    return ResponsePlanStep(**fields)


def method(audience, rank, channel, target, address=""):
    return CommunicationMethod(
        audience=audience, rank=rank, channel=channel, target=target, address=address
    )


RESPONDERS = [
    method("responders", 0, "slack", "incident_channel"),
    method("responders", 1, "email", "each_person"),
]


@pytest.fixture
def plan(editor):
    return response_plan_create(
        actor=editor,
        name="Every incident",
        steps=[step(position=0, action="manual", title="Open the status page")],
        methods=RESPONDERS,
    )


@pytest.fixture
def active(plan):
    return response_plan_activate(plan=plan)


# --- The services ---------------------------------------------------------------------------


def test_create_records_the_plan_and_its_parts(editor, plan):
    assert not plan.is_active
    assert history(plan) == [
        (PlanEventKind.CREATED, editor, "Created, inactive."),
        (PlanEventKind.STEPS_CHANGED, editor, "Steps changed: added “Open the status page”."),
        (
            PlanEventKind.METHODS_CHANGED,
            editor,
            "Communication methods changed: added “Responders #0: Slack → The incident's "
            "channel”, “Responders #1: Email → Each person of the audience”.",
        ),
    ]


def test_a_plan_without_parts_records_its_creation_only(editor):
    plan = response_plan_create(actor=editor, name="Empty")
    assert history(plan) == [(PlanEventKind.CREATED, editor, "Created, inactive.")]


def test_update_records_what_changed(editor, plan):
    outage = IncidentTypeFactory(slug="outage", name="Outage")
    plan = response_plan_update(
        actor=editor, plan=plan, name="Outages", incident_type=outage, description="More"
    )
    assert plan.incident_type == outage
    kind, actor, message = history(plan)[-1]
    assert (kind, actor) == (PlanEventKind.EDITED, editor)
    assert (
        message == "name: “Every incident” → “Outages”; incident type: — → “Outage”; "
        "description changed."
    )


def test_an_update_that_changes_nothing_records_nothing(editor, plan):
    before = history(plan)
    response_plan_update(actor=editor, plan=plan, name="Every incident")
    response_plan_parts_set(
        actor=editor,
        plan=plan,
        steps=list(plan.steps.all()),
        methods=list(plan.communication_methods.all()),
    )
    assert history(plan) == before


def test_parts_set_records_rows_added_changed_and_removed(editor, plan):
    manual = plan.steps.get()
    manual.title = "Open the status page now"
    backup = plan.communication_methods.get(rank=1)
    backup.channel = "sms"
    response_plan_parts_set(
        actor=editor,
        plan=plan,
        steps=[manual, step(position=1, action="broadcast")],
        methods=[plan.communication_methods.get(rank=0), backup],
    )
    assert [s.title or s.action for s in plan.steps.all()] == [
        "Open the status page now",
        "broadcast",
    ]
    assert plan.steps.get(position=0).pk == manual.pk  # changed in place, not replaced
    assert history(plan)[-2:] == [
        (
            PlanEventKind.STEPS_CHANGED,
            editor,
            "Steps changed: added “Broadcast the declaration”; changed “Open the status page now”.",
        ),
        (
            PlanEventKind.METHODS_CHANGED,
            editor,
            "Communication methods changed: changed “Responders #1: SMS → Each person of the "
            "audience”.",
        ),
    ]
    response_plan_parts_set(actor=editor, plan=plan, steps=[manual])
    assert history(plan)[-1][2] == "Steps changed: removed “Broadcast the declaration”."
    assert plan.communication_methods.count() == 2  # methods=None: left as they were


def test_an_active_plan_is_checked_on_its_steps_and_methods_together(editor, active):
    executives = [
        method("executives", 0, "email", "fixed", "execs@example.com"),
        method("executives", 1, "sms", "fixed", "+15550100"),
    ]
    steps = [*active.steps.all(), step(position=1, action="broadcast", audience="executives")]
    # Either alone would break the rule: a broadcast to no one, or nothing else.
    response_plan_parts_set(
        actor=editor,
        plan=active,
        steps=steps,
        methods=[*active.communication_methods.all(), *executives],
    )
    response_plan_parts_set(
        actor=editor,
        plan=active,
        steps=steps[:1],
        methods=list(active.communication_methods.filter(audience="responders")),
    )
    assert active.communication_methods.count() == 2 and active.steps.count() == 1


def test_an_edit_that_breaks_an_active_plan_is_refused_and_recorded_nowhere(editor, active):
    before = history(active)
    with pytest.raises(ValidationError) as refused:
        response_plan_parts_set(
            actor=editor,
            plan=active,
            steps=[step(position=0, action="manual")],
            methods=list(active.communication_methods.filter(rank=0)),
        )
    assert refused.value.messages == [
        "This plan is active: Responders: add a backup method (Slack down → email → SMS …).",
        "This plan is active: A manual step needs a title: it becomes a checklist item.",
    ]
    assert history(active) == before
    assert active.steps.get().title == "Open the status page"
    assert active.communication_methods.count() == 2


def test_an_active_plan_keeps_its_scope(editor, active):
    with pytest.raises(ValidationError) as refused:
        response_plan_update(actor=editor, plan=active, incident_type=IncidentTypeFactory())
    assert refused.value.message_dict == {
        "incident_type": ["An active plan keeps its scope: deactivate it first."]
    }
    assert ResponsePlanEvent.objects.filter(kind=PlanEventKind.EDITED).count() == 0


@pytest.mark.parametrize(
    "methods, message",
    [
        (
            [method("responders", 0, "email", "broadcast_channel")],
            "Responders #0: Email → The broadcast channel: Only Slack has an incident or "
            "broadcast channel.",
        ),
        (
            [RESPONDERS[0], method("responders", 0, "email", "each_person")],
            "Responders: two methods have rank 0.",
        ),
    ],
)
def test_bad_methods_are_refused(editor, plan, methods, message):
    before = history(plan)
    with pytest.raises(ValidationError) as refused:
        response_plan_parts_set(actor=editor, plan=plan, methods=methods)
    assert refused.value.messages == [message]
    assert history(plan) == before


def test_a_row_of_another_plan_is_refused(editor, plan):
    other = response_plan_create(actor=editor, name="Other", steps=[step(action="broadcast")])
    with pytest.raises(ValidationError):
        response_plan_parts_set(actor=editor, plan=plan, steps=list(other.steps.all()))
    assert other.steps.get().plan == other and plan.steps.count() == 1


def test_who_may(plan):
    nobody = UserFactory()
    with pytest.raises(PermissionDenied):
        response_plan_create(actor=nobody, name="Mine")
    with pytest.raises(PermissionDenied):
        response_plan_update(actor=nobody, plan=plan, name="Mine")
    with pytest.raises(PermissionDenied):
        response_plan_parts_set(actor=nobody, plan=plan, steps=[])
    adder = user_with("add_responseplan")
    with pytest.raises(PermissionDenied):
        response_plan_update(actor=adder, plan=plan, name="Mine")
    assert ResponsePlan.objects.filter(name="Mine").count() == 0
    assert plan.steps.count() == 1


# --- The admin saves through them -------------------------------------------------------------


def test_the_add_page_saves_through_the_services(admin_client, admin_user):
    data = page_data(admin_client.get(ADD))
    data["name"] = "Security incidents"
    extra_row(data, STEPS, position="0", action="manual", title="Call legal")
    extra_row(data, METHODS, audience="responders", rank="0", channel="slack")
    data[f"{METHODS}-0-target"] = "incident_channel"
    response = admin_client.post(ADD, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    plan = ResponsePlan.objects.get(name="Security incidents")
    assert [(kind, actor) for kind, actor, _ in history(plan)] == [
        (PlanEventKind.CREATED, admin_user),
        (PlanEventKind.STEPS_CHANGED, admin_user),
        (PlanEventKind.METHODS_CHANGED, admin_user),
    ]


def test_the_change_page_saves_through_the_services(admin_client, admin_user, plan):
    before = history(plan)
    url = change_url(plan)
    assert admin_client.post(url, page_data(admin_client.get(url))).status_code == 302
    assert history(plan) == before  # nothing changed, nothing recorded

    data = page_data(admin_client.get(url))
    data["description"] = "For every incident"
    data[f"{STEPS}-0-title"] = "Open the status page first"
    data[f"{METHODS}-1-DELETE"] = "on"
    assert admin_client.post(url, data).status_code == 302
    assert history(plan)[len(before) :] == [
        (PlanEventKind.EDITED, admin_user, "description changed."),
        (
            PlanEventKind.STEPS_CHANGED,
            admin_user,
            "Steps changed: changed “Open the status page first”.",
        ),
        (
            PlanEventKind.METHODS_CHANGED,
            admin_user,
            "Communication methods changed: removed “Responders #1: Email → Each person of the "
            "audience”.",
        ),
    ]
    page = admin_client.get(url)
    assert "Steps changed: changed “Open the status page first”." in page.text


def test_a_refusal_on_the_change_page_saves_and_records_nothing(admin_client, active):
    before = history(active)
    url = change_url(active)
    data = page_data(admin_client.get(url))
    data["description"] = "Changed"
    data[f"{METHODS}-1-DELETE"] = "on"
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "This plan is active: Responders: add a backup method (Slack down → email → SMS …)."
    ]
    active.refresh_from_db()
    assert active.description == "" and active.communication_methods.count() == 2
    assert history(active) == before


def test_who_may_add_a_plan_edits_its_steps_and_methods_on_the_add_page(client):
    adder = user_with("add_responseplan", is_staff=True)
    client.force_login(adder)
    data = page_data(client.get(ADD))
    data["name"] = "By an adder"
    extra_row(data, STEPS, position="0", action="broadcast")
    response = client.post(ADD, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    plan = ResponsePlan.objects.get(name="By an adder")
    assert plan.steps.get().action == "broadcast"
    assert plan.events.get(kind=PlanEventKind.STEPS_CHANGED).actor == adder
