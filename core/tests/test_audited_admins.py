"""Every audited model is saved only by its services (house rule 13): each admin registered for
one, and each inline of one, saves, deletes and acts through them, since a plain ModelAdmin
would save the model without its audit row. The services' own tests prove each writes its row.
"""

import pytest
from django.contrib import admin
from django.test import RequestFactory

from catalog.models import Service
from core.admin.forms import (
    DeletedByServiceAdmin,
    PartsAdmin,
    PartsFormSet,
    SavedByServiceAdmin,
    ServiceModelForm,
)
from core.admin.read_only import ReadOnly
from incidents.tests import factories
from people.models import (
    CriticalFunction,
    Delegation,
    Team,
    TeamMembership,
    Unavailability,
    UserPreference,
)
from policy.models import ExitCriterion, IncidentType, Priority, PriorityMatrixCell, SeverityLevel
from response.models import CommunicationMethod, ResponsePlan, ResponsePlanStep

pytestmark = pytest.mark.django_db

# By app: the models whose every change writes an audit row in the same transaction.
AUDITED = {
    "catalog": {Service},
    "people": {Team, TeamMembership, CriticalFunction, Delegation, Unavailability, UserPreference},
    "policy": {IncidentType, ExitCriterion, SeverityLevel, Priority, PriorityMatrixCell},
    "response": {ResponsePlan, ResponsePlanStep, CommunicationMethod},
}
# Admin actions other than the bulk delete, each calling a service (their apps' tests say so).
SERVICE_ACTIONS = {ResponsePlan: {"activate", "deactivate"}, UserPreference: {"unlink_slack"}}


@pytest.fixture
def request_of_superuser():
    request = RequestFactory().get("/admin/")
    request.user = factories.UserFactory(username="root", is_staff=True, is_superuser=True)
    return request


@pytest.mark.parametrize("app", AUDITED)
def test_every_admin_of_an_audited_model_saves_through_its_service(app, request_of_superuser):
    audited, request, seen = AUDITED[app], request_of_superuser, set()
    for model, model_admin in admin.site._registry.items():
        if model not in audited:
            continue
        seen.add(model)
        name = type(model_admin).__name__
        assert isinstance(model_admin, SavedByServiceAdmin), name
        assert model_admin.saved_by_service(change=False), name
        assert model_admin.saved_by_service(change=True), name
        assert issubclass(model_admin.get_form(request), ServiceModelForm), name
        if model_admin.has_delete_permission(request):
            # Deleting one (delete_model) or several (delete_queryset) calls the service.
            assert isinstance(model_admin, DeletedByServiceAdmin), name
            assert model_admin.remove_service is not None, name
        actions = set(model_admin.get_actions(request))
        allowed = {"delete_selected", *SERVICE_ACTIONS.get(model, ())}
        assert actions <= allowed, f"{name}: check that {actions - allowed} use the services"
    for parent, model_admin in admin.site._registry.items():
        for inline in model_admin.inlines:
            if inline.model not in audited or issubclass(inline, ReadOnly):
                continue
            seen.add(inline.model)
            # Only a service admin's save_related leaves the inlines to their formset.
            assert isinstance(model_admin, SavedByServiceAdmin), (parent, inline)
            if issubclass(inline.formset, PartsFormSet):
                # The parent's form hands the rows to its service (PartsAdmin gives them).
                assert isinstance(model_admin, PartsAdmin), (parent, inline)
            else:
                # Its formset calls the services when it validates (MembershipFormSet.clean).
                assert "clean" in vars(inline.formset), (parent, inline)
    assert seen == audited, f"not edited in the admin: {audited - seen}"
