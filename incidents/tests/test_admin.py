import pytest
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.messages import ERROR, SUCCESS
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.exceptions import TransitionNotAllowed
from incidents import services
from incidents.models import (
    ApiToken,
    CancelReason,
    EffortEntry,
    Incident,
    IncidentSource,
    IncidentStatus,
    SlackIdentityEvent,
    TimelineKind,
)
from incidents.tests import factories
from people.models import (
    CriticalFunction,
    Delegation,
    PeopleEvent,
    Team,
    Unavailability,
    UserPreference,
)
from policy.models import (
    ConfigurationEvent,
    IncidentType,
    PolicyVersion,
    Priority,
    PriorityMatrixCell,
    SeverityLevel,
)

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:incidents_incident_changelist")
ADD = reverse("admin:incidents_incident_add")


def change_url(incident):
    return reverse("admin:incidents_incident_change", args=[incident.pk])


def kinds(incident):
    return list(incident.timeline.order_by("id").values_list("kind", flat=True))


def shown(response):
    return {incident.reference for incident in response.context["cl"].result_list}


def sent(response, level=None):
    """The messages shown on the page an action led to."""
    return [m.message for m in response.context["messages"] if level is None or m.level == level]


def act(client, action, *incidents, **data):
    """Run an admin action; its intermediate page is submitted when `data` is given."""
    payload = {"action": action, helpers.ACTION_CHECKBOX_NAME: [i.pk for i in incidents]}
    if data:
        payload.update(data, apply="1")
    return client.post(CHANGELIST, payload, follow=True)


@pytest.fixture
def staff_user():
    return factories.responder(username="sam", is_staff=True)


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def private_incident(declare, security_type):
    return declare(title="Leaked credentials", incident_type=security_type)


@pytest.fixture
def settle(admin_user):
    def _settle(incident):
        for criterion in incident.criteria.filter(required=True):
            services.incident_check_exit_criterion(
                incident=incident, actor=admin_user, criterion_id=criterion.pk
            )

    return _settle


# --- smoke: every registered model of the app ---------------------------------------------

SMOKED = {Incident, IncidentType, SeverityLevel, Priority, UserPreference}
SMOKED_ELSEWHERE = {
    ApiToken,  # test_api_tokens.py
    EffortEntry,  # test_effort_fronts.py
    PolicyVersion,  # policy/tests/test_admin.py
    PriorityMatrixCell,  # policy/tests/test_admin.py
    SlackIdentityEvent,  # test_slack_identity.py
    Team,  # people/tests/test_admin.py
    CriticalFunction,  # people/tests/test_admin.py
    Delegation,  # people/tests/test_admin.py
    Unavailability,  # people/tests/test_admin.py
    PeopleEvent,  # people/tests/test_audit.py
    ConfigurationEvent,  # policy/tests/test_configuration.py
}


def test_every_registered_model_is_smoke_tested():
    registered = {
        m for m in admin.site._registry if m._meta.app_label in {"incidents", "people", "policy"}
    }
    assert registered == SMOKED | SMOKED_ELSEWHERE


@pytest.fixture
def one_of_each(incident, admin_user):
    return {
        Incident: incident,
        IncidentType: incident.incident_type,
        SeverityLevel: incident.severity,
        Priority: factories.PriorityFactory(name="P1", rank=1),
        UserPreference: UserPreference.objects.create(user=admin_user, time_zone="Europe/Paris"),
    }


@pytest.mark.parametrize("model", sorted(SMOKED, key=lambda m: m.__name__))
def test_admin_pages_render(admin_client, one_of_each, model):
    info = model._meta.app_label, model._meta.model_name
    obj = one_of_each[model]
    for url in (
        reverse("admin:{}_{}_changelist".format(*info)),
        reverse("admin:{}_{}_add".format(*info)),
        reverse("admin:{}_{}_change".format(*info), args=[obj.pk]),
    ):
        assert admin_client.get(url).status_code == 200, url


def test_incident_pages_render_for_staff(staff_client, incident):
    assert staff_client.get(CHANGELIST).status_code == 200
    assert staff_client.get(ADD).status_code == 200
    response = staff_client.get(change_url(incident))
    assert response.status_code == 200
    assert "Error rate back to baseline" in response.text  # the exit-criteria inline


def test_records_are_read_only_and_incidents_cannot_be_deleted(admin_client, incident):
    response = admin_client.get(change_url(incident))
    for formset in response.context["inline_admin_formsets"]:
        assert not formset.has_add_permission
        assert not formset.has_change_permission
        assert not formset.has_delete_permission
    actions = dict(admin_client.get(CHANGELIST).context["action_form"].fields["action"].choices)
    assert "delete_selected" not in actions
    delete = reverse("admin:incidents_incident_delete", args=[incident.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert Incident.objects.filter(pk=incident.pk).exists()


def test_object_permissions_page_is_for_superusers(admin_client, staff_client, incident):
    url = reverse("admin:incidents_incident_permissions", args=[incident.pk])
    assert admin_client.get(url).status_code == 200
    assert staff_client.get(url).status_code == 403


# --- changelist: search, filters, scope, queries --------------------------------------------


def test_search(admin_client, declare):
    checkout = declare(title="Checkout is failing", name="pay-eu")
    login = declare(title="Login slow", summary="SSO timeouts")
    assert shown(admin_client.get(CHANGELIST, {"q": "pay-eu"})) == {checkout.reference}
    assert shown(admin_client.get(CHANGELIST, {"q": "sso"})) == {login.reference}
    assert shown(admin_client.get(CHANGELIST, {"q": login.reference})) == {login.reference}


def test_filters(admin_client, declare, sev1, admin_user, security_type):
    drill = declare(is_drill=True)
    loud = declare(severity=sev1)
    secret = declare(incident_type=security_type)
    services.incident_acknowledge(incident=loud, actor=admin_user)
    cases = [
        ({"status__exact": IncidentStatus.INVESTIGATING}, {loud}),
        ({"severity__id__exact": sev1.pk}, {loud}),
        ({"incident_type__id__exact": security_type.pk}, {secret}),
        ({"is_private__exact": "1"}, {secret}),
        ({"is_drill__exact": "1"}, {drill}),
        ({"source__exact": IncidentSource.PORTAL}, {drill, loud, secret}),
        ({"source__exact": IncidentSource.ADMIN}, set()),
        ({"declared_at__gte": drill.declared_at.isoformat()}, {drill, loud, secret}),
        ({"declared_at__year": drill.declared_at.year}, {drill, loud, secret}),
    ]
    for params, expected in cases:
        response = admin_client.get(CHANGELIST, params)
        assert response.status_code == 200, params
        assert shown(response) == {i.reference for i in expected}, params


def test_staff_do_not_see_private_incidents_they_have_no_access_to(
    staff_client, incident, private_incident
):
    assert shown(staff_client.get(CHANGELIST)) == {incident.reference}
    response = staff_client.get(change_url(private_incident))
    assert response.status_code == 302
    assert response.url == reverse("admin:index")
    act(staff_client, "acknowledge", private_incident)
    private_incident.refresh_from_db()
    assert private_incident.acknowledged_at is None


def test_superuser_sees_private_incidents(admin_client, incident, private_incident):
    assert shown(admin_client.get(CHANGELIST)) == {incident.reference, private_incident.reference}
    assert admin_client.get(change_url(private_incident)).status_code == 200


@pytest.mark.parametrize("client_fixture", ["admin_client", "staff_client"])
def test_changelist_queries_do_not_grow_with_incidents(
    request, client_fixture, declare, responder_user, admin_user
):
    client = request.getfixturevalue(client_fixture)

    def changelist_queries():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(CHANGELIST).status_code == 200
        return len(queries)

    def add_incident():
        incident = declare(commander=admin_user, responder=responder_user)
        services.incident_post_update(incident=incident, actor=admin_user, message="Looking")

    add_incident()
    one = changelist_queries()
    for _ in range(5):
        add_incident()
    assert changelist_queries() == one


# --- declaring through the add form ---------------------------------------------------------


@pytest.fixture
def declaration(outage, sev2, checkout_service, payments_service):
    return {
        "title": "Payments failing",
        "name": "",
        "incident_type": outage.pk,
        "severity": sev2.pk,
        "priority": "",
        "private": "",
        "summary": "Card payments fail in the EU",
        "impact": "",
        "services": [checkout_service.pk, payments_service.pk],
        "environments": "prod",
        "regions": "",
        "commander": "",
        "responder": "",
        "broadcast_channel": "#incidents",
        "impact_started_at_0": "",
        "impact_started_at_1": "",
        "detected_at_0": "",
        "detected_at_1": "",
        "affects_customers": "on",
        "unplanned": "on",
        "exceeds_one_hour": "on",
        "_save": "Save",
    }


def test_declare_from_the_add_form(admin_client, admin_user, declaration):
    response = admin_client.post(ADD, declaration)
    assert response.status_code == 302, response.context["adminform"].form.errors
    incident = Incident.objects.get()
    assert response.url == CHANGELIST
    assert incident.source == IncidentSource.ADMIN
    assert incident.declared_by == admin_user
    assert {s.slug for s in incident.services.all()} == {"checkout", "payments"}
    assert incident.environments == ["prod"]
    assert incident.criteria.count() == 3
    assert kinds(incident) == [TimelineKind.DECLARED, *[TimelineKind.PLAYBOOK_MISSING] * 2]
    page = admin_client.get(response.url)
    assert any(incident.reference in message for message in sent(page, SUCCESS))


def test_declare_and_continue_editing_goes_to_the_new_incident(admin_client, declaration):
    response = admin_client.post(ADD, {**declaration, "_continue": "Save"})
    assert response.url == change_url(Incident.objects.get())


def test_declaring_a_non_incident_needs_confirmation(admin_client, declaration):
    declaration.pop("exceeds_one_hour")
    response = admin_client.post(ADD, declaration)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "does not meet the definition" in errors["confirm_definition"][0]
    assert not Incident.objects.exists()

    response = admin_client.post(ADD, {**declaration, "confirm_definition": "on"})
    assert response.status_code == 302
    assert Incident.objects.get().definition_override


def test_bad_declaration_re_renders_with_errors_and_saves_nothing(admin_client, declaration):
    response = admin_client.post(ADD, {**declaration, "name": "Not A Channel"})
    assert response.status_code == 200
    assert "name" in response.context["adminform"].form.errors
    assert not Incident.objects.exists()


def test_private_follows_the_type_unless_chosen(admin_client, declaration, security_type):
    admin_client.post(ADD, {**declaration, "title": "Typed", "incident_type": security_type.pk})
    admin_client.post(ADD, {**declaration, "title": "Chosen", "private": "true"})
    assert set(Incident.objects.values_list("title", "is_private")) == {
        ("Typed", True),
        ("Chosen", True),
    }


# --- editing details through the change form ------------------------------------------------


def details(incident, **changes):
    data = {
        "title": incident.title,
        "summary": incident.summary,
        "impact": incident.impact,
        "priority": incident.priority_id or "",
        "services": [service.pk for service in incident.services.all()],
        "environments": ", ".join(incident.environments),
        "regions": ", ".join(incident.regions),
        "broadcast_channel": incident.broadcast_channel,
        "impact_started_at_0": "",
        "impact_started_at_1": "",
        "detected_at_0": f"{incident.detected_at:%Y-%m-%d}",
        "detected_at_1": f"{incident.detected_at:%H:%M:%S}",
        "commander": incident.commander_id or "",
        "responder": incident.responder_id or "",
        "_save": "Save",
    }
    data.update(changes)
    return data


def test_change_form_edits_details_through_the_service(admin_client, incident, responder_user):
    response = admin_client.post(
        change_url(incident),
        details(
            incident, title="Checkout down in EU", regions="eu-west-1", responder=responder_user.pk
        ),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    incident.refresh_from_db()
    assert incident.title == "Checkout down in EU"
    assert incident.regions == ["eu-west-1"]
    assert incident.responder == responder_user
    assert responder_user.has_perm("incidents.change_incident", incident)
    event = incident.timeline.get(kind=TimelineKind.DETAILS_CHANGED)
    assert set(event.after) == {"title", "regions", "responder"}


def test_change_form_cannot_set_status_or_severity(admin_client, incident, sev1):
    data = details(incident, status=IncidentStatus.RESOLVED, severity=sev1.pk)
    assert admin_client.post(change_url(incident), data).status_code == 302
    incident.refresh_from_db()
    assert (incident.status, incident.severity.name) == (IncidentStatus.DECLARED, "SEV2")
    assert kinds(incident) == [TimelineKind.DECLARED]


def test_change_form_refusal_re_renders_and_changes_nothing(admin_client, incident, admin_user):
    services.incident_cancel(
        incident=incident, actor=admin_user, reason=CancelReason.NOT_AN_INCIDENT
    )
    response = admin_client.post(change_url(incident), details(incident, title="Renamed"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert errors == [
        f"Incident {incident.reference} is cancelled: its details can no longer change."
    ]
    incident.refresh_from_db()
    assert incident.title == "Checkout is failing"


# --- actions --------------------------------------------------------------------------------


def test_acknowledge_reports_successes_and_each_refusal(admin_client, declare, admin_user):
    fresh, seen = declare(), declare()
    services.incident_acknowledge(incident=seen, actor=admin_user)
    response = act(admin_client, "acknowledge", fresh, seen)
    assert response.redirect_chain == [(CHANGELIST, 302)]
    assert sent(response, SUCCESS) == [f"Acknowledged 1 incident: {fresh.reference}."]
    assert sent(response, ERROR) == [f"Incident {seen.reference} was already acknowledged."]
    fresh.refresh_from_db()
    assert fresh.status == IncidentStatus.INVESTIGATING
    assert kinds(seen) == [TimelineKind.DECLARED, TimelineKind.ACKNOWLEDGED]


@pytest.mark.parametrize(
    "status", [IncidentStatus.INVESTIGATING, IncidentStatus.IDENTIFIED, IncidentStatus.MONITORING]
)
def test_move_to(admin_client, incident, status):
    response = act(admin_client, f"move_to_{status}", incident)
    assert sent(response, SUCCESS) == [
        f"Moved 1 incident to {status.label.lower()}: {incident.reference}."
    ]
    incident.refresh_from_db()
    assert incident.status == status
    response = act(admin_client, f"move_to_{status}", incident)
    assert sent(response, ERROR) == [
        f"Incident {incident.reference} is already {status.label.lower()}."
    ]
    assert kinds(incident) == [TimelineKind.DECLARED, TimelineKind.STATUS_CHANGED]


def test_change_severity(admin_client, incident, sev1):
    page = act(admin_client, "change_severity", incident)
    assert page.status_code == 200
    assert page.templates[0].name == "admin/incidents/incident/action_form.html"
    response = act(admin_client, "change_severity", incident, severity=sev1.pk, reason="Spreading")
    assert sent(response, SUCCESS) == [
        f"Changed the severity of 1 incident to SEV1: {incident.reference}."
    ]
    incident.refresh_from_db()
    assert incident.severity == sev1
    event = incident.timeline.get(kind=TimelineKind.SEVERITY_CHANGED)
    assert event.message == "Severity changed from SEV2 to SEV1. Spreading"
    response = act(admin_client, "change_severity", incident, severity=sev1.pk)
    assert sent(response, ERROR) == [f"Incident {incident.reference} is already SEV1."]


def test_change_severity_page_needs_a_severity(admin_client, incident):
    response = act(admin_client, "change_severity", incident, severity="")
    assert response.status_code == 200
    assert "severity" in response.context["form"].errors
    assert kinds(incident) == [TimelineKind.DECLARED]


def test_post_update(admin_client, incident, admin_user):
    response = act(
        admin_client, "post_update", incident, message="Rolling back", status="identified"
    )
    assert sent(response, SUCCESS) == [
        f"Posted a status update to 1 incident: {incident.reference}."
    ]
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.IDENTIFIED
    assert incident.updates.get().message == "Rolling back"
    assert kinds(incident) == [
        TimelineKind.DECLARED,
        TimelineKind.STATUS_CHANGED,
        TimelineKind.UPDATE_POSTED,
    ]
    services.incident_cancel(
        incident=incident, actor=admin_user, reason=CancelReason.NOT_AN_INCIDENT
    )
    response = act(admin_client, "post_update", incident, message="Still there?", status="")
    assert sent(response, ERROR) == [
        f"Incident {incident.reference} is cancelled: it can no longer receive status updates."
    ]
    assert incident.updates.count() == 1


def test_resolve_settles_criteria_then_resolves(admin_client, incident):
    error_rate, informed, annotated = incident.criteria.all()
    page = act(admin_client, "resolve", incident)
    assert page.status_code == 200
    assert [row[0] for row in page.context["form"].criterion_rows()] == [
        error_rate,
        informed,
        annotated,
    ]
    response = act(
        admin_client,
        "resolve",
        incident,
        resolution="Rolled back v42",
        **{f"met_{error_rate.pk}": "on", f"waive_{informed.pk}": "Nobody noticed"},
    )
    assert sent(response, SUCCESS) == [f"Resolved 1 incident: {incident.reference}."]
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    assert incident.resolution == "Rolled back v42"
    assert kinds(incident) == [
        TimelineKind.DECLARED,
        TimelineKind.CRITERION_MET,
        TimelineKind.CRITERION_WAIVED,
        TimelineKind.RESOLVED,
    ]


def test_resolve_with_an_unmet_required_criterion_gives_the_service_message(
    admin_client, incident, admin_user
):
    response = act(admin_client, "resolve", incident, resolution="Fixed")
    with pytest.raises(TransitionNotAllowed) as refusal:
        services.incident_resolve(incident=incident, actor=admin_user, resolution="Fixed")
    assert refusal.value.message.startswith(f"Cannot resolve {incident.reference}")
    assert sent(response) == [refusal.value.message]
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.DECLARED


def test_a_refused_resolve_keeps_the_criteria_as_they_were(admin_client, incident):
    error_rate = incident.criteria.get(text="Error rate back to baseline")
    response = act(
        admin_client, "resolve", incident, resolution="Fixed", **{f"met_{error_rate.pk}": "on"}
    )
    assert sent(response) == [
        f"Cannot resolve {incident.reference}: these required exit criteria are neither met "
        "nor waived: Customers informed."
    ]
    assert kinds(incident) == [TimelineKind.DECLARED]
    assert not incident.criteria.filter(met_at__isnull=False).exists()


def test_resolve_refuses_a_waiver_from_someone_not_allowed(staff_client, incident):
    informed = incident.criteria.get(text="Customers informed")
    response = act(
        staff_client,
        "resolve",
        incident,
        resolution="Fixed",
        **{f"waive_{informed.pk}": "No time"},
    )
    assert sent(response) == ["You are not allowed to waive exit criteria."]
    assert kinds(incident) == [TimelineKind.DECLARED]


def test_resolve_several_asks_only_for_the_resolution(admin_client, declare, settle):
    ready, blocked = declare(), declare()
    settle(ready)
    page = act(admin_client, "resolve", ready, blocked)
    assert page.context["form"].criterion_rows() == []
    response = act(admin_client, "resolve", ready, blocked, resolution="Config reverted")
    assert sent(response, SUCCESS) == [f"Resolved 1 incident: {ready.reference}."]
    assert len(sent(response, ERROR)) == 1
    assert sent(response, ERROR)[0].startswith(f"Cannot resolve {blocked.reference}")


def test_close(admin_client, incident, admin_user, settle):
    response = act(admin_client, "close", incident)
    assert sent(response, ERROR) == [
        f"Only a resolved incident can be closed; {incident.reference} is declared."
    ]
    settle(incident)
    services.incident_resolve(incident=incident, actor=admin_user, resolution="Fixed")
    response = act(admin_client, "close", incident)
    assert sent(response, SUCCESS) == [f"Closed 1 incident: {incident.reference}."]
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.CLOSED


def test_cancel_as_duplicate(admin_client, declare):
    original, duplicate = declare(), declare()
    response = act(
        admin_client,
        "cancel",
        duplicate,
        reason=CancelReason.DUPLICATE,
        duplicate_of=original.reference,
        note="Same outage",
    )
    assert sent(response, SUCCESS) == [f"Cancelled 1 incident: {duplicate.reference}."]
    duplicate.refresh_from_db()
    assert duplicate.status == IncidentStatus.CANCELLED
    assert duplicate.duplicate_of == original
    event = duplicate.timeline.get(kind=TimelineKind.CANCELLED)
    assert event.message == f"Duplicate of {original.reference}. Same outage"


def test_cancel_refusals(admin_client, incident):
    response = act(admin_client, "cancel", incident, reason=CancelReason.DUPLICATE, duplicate_of="")
    assert sent(response, ERROR) == ["Name the incident this one duplicates."]
    page = act(
        admin_client, "cancel", incident, reason=CancelReason.DUPLICATE, duplicate_of="INC-1"
    )
    assert page.status_code == 200
    assert page.context["form"].errors["duplicate_of"] == [
        "There is no incident INC-1 that you can see."
    ]
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.DECLARED


def test_staff_cannot_name_an_invisible_incident_as_the_original(
    staff_client, incident, private_incident
):
    page = act(
        staff_client,
        "cancel",
        incident,
        reason=CancelReason.DUPLICATE,
        duplicate_of=private_incident.reference,
    )
    assert "duplicate_of" in page.context["form"].errors


def test_every_step_to_closed_from_the_admin(admin_client, declaration, sev1):
    admin_client.post(ADD, declaration, follow=True)
    incident = Incident.objects.get()
    criteria = {f"met_{c.pk}": "on" for c in incident.criteria.all()}
    steps = [
        ("acknowledge", {}),
        ("move_to_identified", {}),
        ("change_severity", {"severity": sev1.pk, "reason": "Spreading"}),
        ("post_update", {"message": "Fix deployed", "status": "monitoring"}),
        ("move_to_investigating", {}),
        ("move_to_monitoring", {}),
        ("resolve", {"resolution": "Rolled back", **criteria}),
        ("close", {}),
    ]
    for action, data in steps:
        response = act(admin_client, action, incident, **data)
        assert sent(response, ERROR) == [], action
        assert len(sent(response, SUCCESS)) == 1, action
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.CLOSED
    assert kinds(incident) == [
        TimelineKind.DECLARED,
        TimelineKind.PLAYBOOK_MISSING,
        TimelineKind.PLAYBOOK_MISSING,
        TimelineKind.ACKNOWLEDGED,
        TimelineKind.STATUS_CHANGED,
        TimelineKind.SEVERITY_CHANGED,
        TimelineKind.STATUS_CHANGED,
        TimelineKind.UPDATE_POSTED,
        TimelineKind.STATUS_CHANGED,
        TimelineKind.STATUS_CHANGED,
        TimelineKind.CRITERION_MET,
        TimelineKind.CRITERION_MET,
        TimelineKind.CRITERION_MET,
        TimelineKind.RESOLVED,
        TimelineKind.CLOSED,
    ]
    page = admin_client.get(change_url(incident))
    assert page.status_code == 200
    assert "Rolled back" in page.text
