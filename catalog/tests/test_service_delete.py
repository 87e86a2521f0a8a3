"""Deleting a catalogue entry goes through `service_delete`, which records who deleted it in its
transaction; the service's history outlives it, and a service incidents refer to stays
(issue 15 §3)."""

import pytest
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import reverse
from guardian.shortcuts import assign_perm

from catalog import services
from catalog.models import CatalogEvent, CatalogEventKind, Service
from catalog.tests.test_services import granted
from core.exceptions import TransitionNotAllowed
from incidents.tests.conftest import commander_user, declare, outage, sev2  # noqa: F401
from playbooks.models import Playbook
from playbooks.tests.factories import PlaybookFactory

pytestmark = pytest.mark.django_db


def recorded():
    return [
        (e.service_id, e.service_name, e.kind, e.actor)
        for e in CatalogEvent.objects.order_by("created_at", "id")
    ]


def test_delete_records_who_and_what_and_keeps_the_history(search):
    editor = granted("change_service", username="ed")
    services.service_update(actor=editor, service=search, tier=1)
    PlaybookFactory(service=search, title="Search is down")
    deleter = granted("delete_service", username="dee")
    services.service_delete(actor=deleter, service=search)
    assert not Service.objects.exists()
    assert not Playbook.objects.exists()  # a service's playbooks are deleted with it
    assert recorded() == [
        (None, "Search", CatalogEventKind.UPDATED, editor),
        (None, "Search", CatalogEventKind.DELETED, deleter),
    ]
    changes = CatalogEvent.objects.last().changes
    assert {field: change["after"] for field, change in changes.items()} == dict.fromkeys(changes)
    assert changes["name"]["before"] == "Search"
    assert changes["tier"]["before"] == 1
    assert changes["deleted_with"]["before"] == {"playbooks.Playbook": 1}


def test_the_services_depending_on_it_record_the_dependency_gone(search, checkout):
    services.service_update(
        actor=granted("change_service", username="ed"), service=checkout, dependencies=[search]
    )
    deleter = granted("delete_service", username="dee")
    services.service_delete(actor=deleter, service=search)
    event = CatalogEvent.objects.filter(service=checkout).last()
    assert (event.kind, event.actor) == (CatalogEventKind.UPDATED, deleter)
    assert event.changes == {"dependencies": {"before": ["search"], "after": []}}


def test_delete_needs_the_permission_on_the_model_or_the_service(search, checkout):
    with pytest.raises(PermissionDenied, match="You may not delete Search."):
        services.service_delete(actor=granted("change_service", username="ed"), service=search)
    assert Service.objects.filter(pk=search.pk).exists()
    assert not CatalogEvent.objects.exists()
    deleter = granted("view_service", username="dee")
    assign_perm("catalog.delete_service", deleter, search)  # on this service only
    services.service_delete(actor=deleter, service=search)
    assert recorded() == [(None, "Search", CatalogEventKind.DELETED, deleter)]


def test_a_service_incidents_refer_to_is_not_deleted(declare, search):  # noqa: F811
    declare(services=[search])
    with pytest.raises(TransitionNotAllowed, match="Search is still referred to by incident"):
        services.service_delete(actor=granted("delete_service", username="dee"), service=search)
    assert Service.objects.filter(pk=search.pk).exists()
    assert not CatalogEvent.objects.filter(kind=CatalogEventKind.DELETED).exists()


def test_the_admin_delete_page_records_the_signed_in_user(admin_client, admin_user, search):
    page = reverse("admin:catalog_service_delete", args=[search.pk])
    assert admin_client.post(page, {"post": "yes"}).status_code == 302
    assert not Service.objects.exists()
    assert recorded() == [(None, "Search", CatalogEventKind.DELETED, admin_user)]


def test_the_admin_bulk_delete_records_each(admin_user, search, checkout):
    request = RequestFactory().post("/admin/")
    request.user = admin_user
    admin.site._registry[Service].delete_queryset(request, Service.objects.all())
    assert not Service.objects.exists()
    deleted = [(name, actor) for _pk, name, kind, actor in recorded() if kind == "deleted"]
    assert sorted(deleted) == [("Checkout", admin_user), ("Search", admin_user)]


def test_the_history_list_shows_a_deleted_services_rows(admin_client, admin_user, search):
    services.service_delete(actor=admin_user, service=search)
    page = admin_client.get(reverse("admin:catalog_catalogevent_changelist"))
    assert page.status_code == 200
    assert [e.service_name for e in page.context["cl"].result_list] == ["Search"]


def test_the_admin_delete_page_of_a_service_incidents_refer_to_deletes_nothing(
    admin_client,
    declare,  # noqa: F811
    search,
):
    declare(services=[search])
    page = reverse("admin:catalog_service_delete", args=[search.pk])
    assert admin_client.get(page).context["protected"]
    admin_client.post(page, {"post": "yes"})
    assert Service.objects.filter(pk=search.pk).exists()
    assert not CatalogEvent.objects.filter(kind=CatalogEventKind.DELETED).exists()
