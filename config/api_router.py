from rest_framework.routers import DefaultRouter

from incidents.api.deliveries import DeliveryViewSet
from incidents.api.effort import ReportViewSet
from incidents.api.views import IncidentViewSet
from people.api.availability import UnavailabilityViewSet
from people.api.delegations import DelegationViewSet
from people.api.functions import CriticalFunctionViewSet
from people.api.spof import SpofViewSet
from people.api.teams import TeamViewSet
from playbooks.api.views import PlaybookVersionViewSet, PlaybookViewSet, ServiceViewSet
from policy.api import PolicyViewSet, PriorityMatrixViewSet
from response.api import ResponsePlanViewSet


class Router(DefaultRouter):
    # No `.json` suffix routes: the API speaks JSON only, and the viewsets' actions do not take
    # a `format` argument (a suffixed action route answered 500).
    include_format_suffixes = False


router = Router()
router.register("incidents", IncidentViewSet, basename="incident")
router.register("reports", ReportViewSet, basename="report")
router.register("policies", PolicyViewSet, basename="policy")
router.register("priority-matrix", PriorityMatrixViewSet, basename="priority-matrix")
router.register("teams", TeamViewSet, basename="team")
router.register("critical-functions", CriticalFunctionViewSet, basename="critical-function")
router.register("delegations", DelegationViewSet, basename="delegation")
router.register("unavailability", UnavailabilityViewSet, basename="unavailability")
router.register("spof", SpofViewSet, basename="spof")
router.register("services", ServiceViewSet, basename="service")
router.register("playbooks", PlaybookViewSet, basename="playbook")
router.register("playbook-versions", PlaybookVersionViewSet, basename="playbook-version")
router.register("response-plans", ResponsePlanViewSet, basename="response-plan")
router.register("deliveries", DeliveryViewSet, basename="delivery")

app_name = "api"
urlpatterns = router.urls
