"""The catalogue's writes (issue 15, "the catalogue writes no audit row at all"): each
`service_create` and `service_update` records a `CatalogEvent` with its actor and what changed,
in its transaction; a refused change records none, also when the admin is the front door."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from guardian.shortcuts import assign_perm

from catalog import services
from catalog.models import CatalogEvent, CatalogEventKind, Service
from core.admin.forms import SavedByServiceAdmin
from incidents.tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def granted(codename, **user):
    person = UserFactory(**user)
    person.user_permissions.add(
        Permission.objects.get(codename=codename, content_type__app_label="catalog")
    )
    return type(person).objects.get(pk=person.pk)  # without the cached permissions


def history(service):
    return [(e.kind, e.actor, e.changes) for e in CatalogEvent.objects.filter(service=service)]


def test_a_creation_records_every_field_and_its_actor(search):
    creator = granted("add_service", username="cat")
    team = TeamFactory(name="Payments", slug="payments")
    ledger = services.service_create(
        actor=creator,
        dependencies=[search],
        name="Ledger",
        slug="ledger",
        owner_team=team,
        tier=1,
        environments=["prod"],
    )
    [(kind, actor, changes)] = history(ledger)
    assert (kind, actor) == (CatalogEventKind.CREATED, creator)
    assert {field: change["after"] for field, change in changes.items()} == {
        "name": "Ledger",
        "slug": "ledger",
        "description": "",
        "owner_team": "payments",
        "tier": 1,
        "environments": ["prod"],
        "regions": [],
        "links": [],
        "is_active": True,
        "dependencies": ["search"],
    }
    assert {change["before"] for change in changes.values()} == {None}


def test_an_update_records_what_changed_before_and_after(search, checkout):
    editor = UserFactory(username="ed")
    assign_perm("catalog.change_service", editor, search)  # on this service only
    services.service_update(actor=editor, service=search, tier=1, dependencies=[checkout])
    [(kind, actor, changes)] = history(search)
    assert (kind, actor) == (CatalogEventKind.UPDATED, editor)
    assert changes == {
        "tier": {"before": 2, "after": 1},
        "dependencies": {"before": [], "after": ["checkout"]},
    }


def test_a_team_change_is_recorded_by_slug(search):
    before = search.owner_team.slug
    services.service_update(
        actor=granted("change_service", username="ed"),
        service=search,
        owner_team=TeamFactory(name="Platform", slug="platform"),
    )
    [(_, _, changes)] = history(search)
    assert changes == {"owner_team": {"before": before, "after": "platform"}}


def test_an_update_that_changes_nothing_records_nothing(search):
    services.service_update(actor=granted("change_service", username="ed"), service=search)
    assert history(search) == []


def test_events_are_append_only(search):
    services.service_update(actor=granted("change_service", username="ed"), service=search, tier=1)
    event = CatalogEvent.objects.get(service=search)
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()


def test_a_refused_change_records_nothing(search, checkout):
    editor = granted("change_service", username="ed")
    with pytest.raises(ValidationError):
        services.service_update(actor=editor, service=search, dependencies=[search, checkout])
    with pytest.raises(PermissionDenied):
        services.service_update(actor=UserFactory(username="pat"), service=search, tier=1)
    with pytest.raises(PermissionDenied):
        services.service_create(
            actor=UserFactory(username="pat"), name="X", slug="x", owner_team=TeamFactory()
        )
    with pytest.raises(ValidationError):
        services.service_create(
            actor=granted("add_service", username="cat"), name="Search", slug="search-2"
        )
    assert not CatalogEvent.objects.exists()
    search.refresh_from_db()
    assert (search.tier, list(search.dependencies.all())) == (2, [])


# --- The admin's saves ------------------------------------------------------------------------


def service_form(service=None, **values):
    data = {
        "name": "",
        "slug": "",
        "description": "",
        "owner_team": "",
        "tier": 3,
        "is_active": "on",
        "environments": "[]",
        "regions": "[]",
        "links": "[]",
        "dependencies": [],
    }
    if service is not None:  # the change page lists the history, a read-only inline
        data.update(
            name=service.name,
            slug=service.slug,
            owner_team=service.owner_team_id,
            tier=service.tier,
            dependencies=[d.pk for d in service.dependencies.all()],
        )
        data.update({"events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0"})
    return {**data, **values}


def test_an_admin_addition_is_recorded_with_the_admin_user(admin_client, admin_user, search):
    team = TeamFactory(name="Payments", slug="payments")
    response = admin_client.post(
        reverse("admin:catalog_service_add"),
        service_form(name="Ledger", slug="ledger", owner_team=team.pk, dependencies=[search.pk]),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    [(kind, actor, changes)] = history(Service.objects.get(slug="ledger"))
    assert (kind, actor) == (CatalogEventKind.CREATED, admin_user)
    assert changes["dependencies"] == {"before": None, "after": ["search"]}


def test_an_admin_change_is_recorded_with_the_admin_user(admin_client, admin_user, search):
    url = reverse("admin:catalog_service_change", args=[search.pk])
    response = admin_client.post(url, service_form(search, tier=1))
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert history(search) == [
        (CatalogEventKind.UPDATED, admin_user, {"tier": {"before": 2, "after": 1}})
    ]
    page = admin_client.get(url)
    assert "tier: 2 → 1" in page.text  # the history, on the service's page


def test_a_change_refused_in_the_admin_records_nothing(admin_client, search):
    url = reverse("admin:catalog_service_change", args=[search.pk])
    response = admin_client.post(url, service_form(search, tier=1, dependencies=[search.pk]))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["dependencies"]
    assert not CatalogEvent.objects.exists()


def test_the_history_is_read_only_in_the_admin(admin_client, search):
    services.service_update(actor=granted("change_service", username="ed"), service=search, tier=1)
    event = CatalogEvent.objects.get()
    assert admin_client.get(reverse("admin:catalog_catalogevent_changelist")).status_code == 200
    change = reverse("admin:catalog_catalogevent_change", args=[event.pk])
    assert admin_client.get(change).status_code == 200
    assert admin_client.post(change, {"kind": "created"}).status_code == 403
    assert admin_client.get(reverse("admin:catalog_catalogevent_add")).status_code == 403
    delete = reverse("admin:catalog_catalogevent_delete", args=[event.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert CatalogEvent.objects.get().kind == CatalogEventKind.UPDATED


def test_the_history_is_for_who_sees_every_service(client, search):
    services.service_update(actor=granted("change_service", username="ed"), service=search, tier=1)
    staff = granted("view_catalogevent", username="sam", is_staff=True)
    client.force_login(staff)
    assert client.get(reverse("admin:catalog_catalogevent_changelist")).status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="view_service"))
    assert client.get(reverse("admin:catalog_catalogevent_changelist")).status_code == 200


# --- Rule 13: every registered admin of the catalogue and the response plans saves through its
# service, or saves nothing.

REGISTERED = sorted(
    (
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in {"catalog", "response"}
    ),
    key=lambda pair: pair[0]._meta.label,
)


def read_only(model_admin, request):
    return not (
        model_admin.has_add_permission(request)
        or model_admin.has_change_permission(request)
        or model_admin.has_delete_permission(request)
    )


@pytest.mark.parametrize(
    "model, model_admin", [pytest.param(*pair, id=pair[0]._meta.label) for pair in REGISTERED]
)
def test_every_admin_saves_through_its_service(rf, admin_user, model, model_admin):
    request = rf.get("/")
    request.user = admin_user
    saved_by_service = isinstance(model_admin, SavedByServiceAdmin) and all(
        model_admin.saved_by_service(change) for change in (False, True)
    )
    assert saved_by_service or read_only(model_admin, request)


def test_the_admins_checked_are_those_expected():
    assert [model._meta.label for model, _ in REGISTERED] == [
        "catalog.CatalogEvent",
        "catalog.Service",
        "response.ResponsePlan",
        "response.ResponsePlanEvent",
    ]
