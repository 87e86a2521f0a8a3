"""Incident types (with their exit criteria), severity levels and priorities: every change goes
through policy/services/configuration.py, which records a ConfigurationEvent with the actor in
its transaction, from the admin's add, change, delete and bulk delete too."""

import pytest
from django.contrib.admin import helpers
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse

from core.models import AppendOnlyError
from incidents.tests import factories
from policy import services
from policy.models import (
    ConfigurationEvent,
    ConfigurationEventKind,
    ExitCriterion,
    IncidentType,
    Priority,
    SeverityLevel,
)
from policy.tests.factories import grant

pytestmark = pytest.mark.django_db

CREATED, UPDATED, DELETED = (
    ConfigurationEventKind.CREATED,
    ConfigurationEventKind.UPDATED,
    ConfigurationEventKind.DELETED,
)


@pytest.fixture
def editor():
    """Someone holding the model permissions on the three, and nothing else."""
    codenames = [
        f"{action}_{model}"
        for action in ("add", "change", "delete", "view")
        for model in ("incidenttype", "exitcriterion", "severitylevel", "priority")
    ]
    user = factories.UserFactory(username="ivy", is_staff=True)
    assert Permission.objects.filter(codename__in=codenames).count() == len(codenames)
    return grant(user, *codenames)


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def events():
    return list(ConfigurationEvent.objects.order_by("id"))


def history():
    return [(e.kind, e.actor, e.about_type.model, e.description) for e in events()]


def criteria(*rows):
    return [
        ExitCriterion(position=i, text=text, required=req) for i, (text, req) in enumerate(rows)
    ]


# --- The services -----------------------------------------------------------------------------


def test_incident_type_create_update_delete_record_who_and_what(editor):
    outage = services.incident_type_create(
        actor=editor, name="Outage", slug="outage", criteria=criteria(("Back in SLO", True))
    )
    (first,) = outage.exit_criteria.all()
    services.incident_type_update(
        actor=editor,
        incident_type=outage,
        description="Down",
        criteria=[
            ExitCriterion(pk=first.pk, position=0, text="Back in SLO for 30 min", required=True),
            ExitCriterion(position=1, text="Customers told", required=False),
        ],
    )
    assert list(outage.exit_criteria.values_list("pk", "text")) == [
        (first.pk, "Back in SLO for 30 min"),  # the same row: incidents' checklists point to it
        (outage.exit_criteria.last().pk, "Customers told"),
    ]
    services.incident_type_delete(actor=editor, incident_type=outage)
    assert not IncidentType.objects.exists() and not ExitCriterion.objects.exists()
    assert history() == [
        (CREATED, editor, "incidenttype", "Outage"),
        (UPDATED, editor, "incidenttype", "Outage"),
        (DELETED, editor, "incidenttype", "Outage"),
    ]
    created, updated, deleted = events()
    assert created.changes["name"] == {"before": None, "after": "Outage"}
    assert created.changes["exit_criteria"]["after"] == [
        {"position": 0, "text": "Back in SLO", "required": True}
    ]
    assert set(updated.changes) == {"description", "exit_criteria"}
    assert [c["text"] for c in updated.changes["exit_criteria"]["after"]] == [
        "Back in SLO for 30 min",
        "Customers told",
    ]
    assert deleted.about_id == outage.pk and deleted.about is None  # gone; the words stay
    assert deleted.changes["slug"] == {"before": "outage", "after": None}


@pytest.mark.parametrize(
    ("model", "create", "update", "delete", "argument"),
    [
        (
            SeverityLevel,
            services.severity_level_create,
            services.severity_level_update,
            services.severity_level_delete,
            "severity",
        ),
        (
            Priority,
            services.priority_create,
            services.priority_update,
            services.priority_delete,
            "priority",
        ),
    ],
)
def test_levels_create_update_delete_record_who_and_what(
    editor, model, create, update, delete, argument
):
    level = create(actor=editor, name="X1", rank=1, description="Worst")
    update(actor=editor, **{argument: level}, rank=2)
    update(actor=editor, **{argument: level}, rank=2)  # nothing changes: nothing recorded
    delete(actor=editor, **{argument: level})
    assert not model.objects.exists()
    name = model._meta.model_name
    assert history() == [
        (CREATED, editor, name, "X1"),
        (UPDATED, editor, name, "X1"),
        (DELETED, editor, name, "X1"),
    ]
    assert events()[1].changes == {"rank": {"before": 1, "after": 2}}


def test_an_update_that_changes_nothing_records_nothing(editor):
    outage = factories.IncidentTypeFactory(name="Outage", slug="outage")
    kept = factories.ExitCriterionFactory(incident_type=outage, text="Back", position=0)
    services.incident_type_update(
        actor=editor,
        incident_type=outage,
        name="Outage",
        criteria=[ExitCriterion(pk=kept.pk, position=0, text="Back", required=True)],
    )
    assert events() == []


def test_a_severity_in_use_is_not_deleted_and_nothing_is_recorded(editor, incident):
    with pytest.raises(ValidationError, match="still in use"):
        services.severity_level_delete(actor=editor, severity=incident.severity)
    assert SeverityLevel.objects.filter(pk=incident.severity.pk).exists()
    assert events() == []


REFUSED = {
    "create without the permission": lambda o: services.priority_create(
        actor=o.stranger, name="P9", rank=9
    ),
    "update without the permission": lambda o: services.incident_type_update(
        actor=o.stranger, incident_type=o.kind, name="Renamed"
    ),
    "delete without the permission": lambda o: services.severity_level_delete(
        actor=o.stranger, severity=o.severity
    ),
    "a taken name": lambda o: services.incident_type_create(
        actor=o.editor, name=o.kind.name, slug="other"
    ),
    "a criterion of another type": lambda o: services.incident_type_update(
        actor=o.editor,
        incident_type=o.kind,
        criteria=[factories.ExitCriterionFactory()],
    ),
}


class World:
    def __init__(self, editor):
        self.editor = editor
        self.stranger = factories.UserFactory(username="sid", is_staff=True)
        self.kind = factories.IncidentTypeFactory(name="Outage", slug="outage")
        self.severity = factories.SeverityFactory(rank=1)


@pytest.mark.parametrize("refused", REFUSED.values(), ids=REFUSED.keys())
def test_a_refused_change_records_nothing(editor, refused):
    world = World(editor)
    with pytest.raises((PermissionDenied, ValidationError)):
        refused(world)
    assert events() == []


def test_the_row_is_part_of_the_change(editor):
    with transaction.atomic():
        services.priority_create(actor=editor, name="P1", rank=1)
        transaction.set_rollback(True)
    assert not Priority.objects.exists()
    assert events() == []


def test_events_are_append_only(editor):
    services.priority_create(actor=editor, name="P1", rank=1)
    (event,) = events()
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


# --- The admin ----------------------------------------------------------------------------


def url(model, view, *args):
    return reverse(f"admin:policy_{model}_{view}", args=args)


def type_form(rows=(), extra=1, **fields):
    """The incident type page as posted: its fields and exit-criteria rows
    (pk or None, position, text, required, delete)."""
    data = {
        "name": "Outage",
        "slug": "outage",
        "description": "",
        "is_active": "on",
        **fields,
        "exit_criteria-TOTAL_FORMS": str(len(rows) + extra),
        "exit_criteria-INITIAL_FORMS": str(sum(1 for row in rows if row[0])),
        "exit_criteria-MIN_NUM_FORMS": "0",
        "exit_criteria-MAX_NUM_FORMS": "1000",
    }
    for i, (pk, position, text, required, delete) in enumerate(rows):
        prefix = f"exit_criteria-{i}-"
        data.update({prefix + "id": pk or "", prefix + "position": position, prefix + "text": text})
        if required:
            data[prefix + "required"] = "on"
        if delete:
            data[prefix + "DELETE"] = "on"
    for i in range(len(rows), len(rows) + extra):  # an empty row, as the browser posts it
        data.update({f"exit_criteria-{i}-position": "0", f"exit_criteria-{i}-required": "on"})
    return {key: value for key, value in data.items() if value is not None}


def posted(client, address, data):
    response = client.post(address, data)
    assert response.status_code == 302, response.context and response.context.get("errors")
    return response


def bulk_delete(client, model, *objects):
    payload = {
        "action": "delete_selected",
        helpers.ACTION_CHECKBOX_NAME: [obj.pk for obj in objects],
        "post": "yes",
    }
    return posted(client, url(model, "changelist"), payload)


def test_incident_type_admin_add_change_delete_record_the_signed_in_user(editor_client, editor):
    posted(editor_client, url("incidenttype", "add"), type_form([(None, 0, "Back", True, False)]))
    outage = IncidentType.objects.get()
    (back,) = outage.exit_criteria.all()
    rows = [(back.pk, 0, "Back in SLO", True, False), (None, 1, "Told", False, False)]
    posted(editor_client, url("incidenttype", "change", outage.pk), type_form(rows))
    assert list(outage.exit_criteria.values_list("text", flat=True)) == ["Back in SLO", "Told"]
    told = outage.exit_criteria.get(text="Told")
    rows = [(back.pk, 0, "Back in SLO", True, False), (told.pk, 1, "Told", False, True)]
    posted(editor_client, url("incidenttype", "change", outage.pk), type_form(rows))
    assert list(outage.exit_criteria.values_list("text", flat=True)) == ["Back in SLO"]
    posted(editor_client, url("incidenttype", "delete", outage.pk), {"post": "yes"})
    assert not IncidentType.objects.exists()
    assert [(kind, actor) for kind, actor, *_ in history()] == [
        (CREATED, editor),
        (UPDATED, editor),
        (UPDATED, editor),
        (DELETED, editor),
    ]
    assert [c["text"] for c in events()[0].changes["exit_criteria"]["after"]] == ["Back"]


def test_incident_type_bulk_delete_records_each(editor_client, editor):
    kinds = [factories.IncidentTypeFactory(name=name) for name in ("Outage", "Security")]
    bulk_delete(editor_client, "incidenttype", *kinds)
    assert not IncidentType.objects.exists()
    assert sorted(description for *_, description in history()) == ["Outage", "Security"]
    assert {(kind, actor) for kind, actor, *_ in history()} == {(DELETED, editor)}


def test_a_refused_incident_type_page_saves_and_records_nothing(editor_client):
    factories.IncidentTypeFactory(name="Outage", slug="outage")
    response = editor_client.post(url("incidenttype", "add"), type_form(slug="outage-2"))
    assert response.status_code == 200  # the name is taken
    assert IncidentType.objects.count() == 1
    assert events() == []


@pytest.mark.parametrize(
    ("model", "extra"),
    [(SeverityLevel, {"customer_impact": "Most customers"}), (Priority, {})],
)
def test_level_admin_add_change_delete_bulk_delete_record_the_signed_in_user(
    editor_client, editor, model, extra
):
    name = model._meta.model_name
    data = {"name": "X1", "rank": 1, "description": "", **extra}
    posted(editor_client, url(name, "add"), data)
    level = model.objects.get()
    posted(editor_client, url(name, "change", level.pk), {**data, "description": "Worst"})
    posted(editor_client, url(name, "delete", level.pk), {"post": "yes"})
    others = [model.objects.create(name=f"X{rank}", rank=rank) for rank in (2, 3)]
    bulk_delete(editor_client, name, *others)
    assert not model.objects.exists()
    assert [(kind, actor, description) for kind, actor, _, description in history()] == [
        (CREATED, editor, "X1"),
        (UPDATED, editor, "X1"),
        (DELETED, editor, "X1"),
        (DELETED, editor, "X2"),
        (DELETED, editor, "X3"),
    ]
    assert events()[1].changes == {"description": {"before": "", "after": "Worst"}}


def test_the_audit_admin_shows_the_rows_and_changes_nothing(admin_client, editor):
    services.priority_create(actor=editor, name="P1", rank=1)
    (event,) = events()
    assert admin_client.get(url("configurationevent", "changelist")).status_code == 200
    assert admin_client.get(url("configurationevent", "change", event.pk)).status_code == 200
    assert admin_client.get(url("configurationevent", "add")).status_code == 403
    deleted = admin_client.post(url("configurationevent", "delete", event.pk), {"post": "yes"})
    assert deleted.status_code == 403
    assert ConfigurationEvent.objects.count() == 1
