import logging

import pytest
from django.conf import settings

from incidents import services
from incidents.tests import factories
from incidents.tests.security_lines import Capture
from playbooks.tests.factories import ServiceFactory


@pytest.fixture
def sev1():
    return factories.SeverityFactory(name="SEV1", rank=1)


@pytest.fixture
def sev2():
    return factories.SeverityFactory(name="SEV2", rank=2)


@pytest.fixture
def outage():
    kind = factories.IncidentTypeFactory(name="Outage", slug="outage")
    factories.ExitCriterionFactory(
        incident_type=kind, text="Error rate back to baseline", position=1
    )
    factories.ExitCriterionFactory(incident_type=kind, text="Customers informed", position=2)
    factories.ExitCriterionFactory(
        incident_type=kind, text="Dashboards annotated", position=3, required=False
    )
    return kind


@pytest.fixture
def security_type():
    kind = factories.IncidentTypeFactory(name="Security", slug="security", private_by_default=True)
    factories.ExitCriterionFactory(incident_type=kind, text="Credentials rotated")
    return kind


@pytest.fixture
def checkout_service():
    return ServiceFactory(name="Checkout", slug="checkout", tier=1)


@pytest.fixture
def payments_service():
    return ServiceFactory(name="Payments", slug="payments", tier=2)


@pytest.fixture
def commander_user():
    return factories.commander(username="cora")


@pytest.fixture
def responder_user():
    return factories.responder(username="rudy")


@pytest.fixture
def stakeholder_user():
    return factories.stakeholder(username="stella")


@pytest.fixture
def declare(commander_user, outage, sev2):
    """Declare an incident through the service, with sensible defaults."""

    def _declare(**overrides):
        fields = {
            "actor": commander_user,
            "title": "Checkout is failing",
            "incident_type": outage,
            "severity": sev2,
            "affects_customers": True,
            "unplanned": True,
            "exceeds_one_hour": True,
        }
        fields.update(overrides)
        return services.incident_declare(**fields)

    return _declare


@pytest.fixture
def incident(declare):
    return declare()


@pytest.fixture
def security_log():
    """The lines the security log writes during the test."""
    logger = logging.getLogger("beacon.security")
    # The format of the log's own handler (others may be attached meanwhile: a worker's).
    capture = Capture(logging.Formatter(settings.LOGGING["formatters"]["security"]["format"]))
    logger.addHandler(capture)
    yield capture.lines
    logger.removeHandler(capture)


@pytest.fixture
def answers(outage, sev2):
    """A Slack declare modal's answers (block id -> value), with `changes` on top."""
    return lambda **changes: {
        "title": "Checkout is failing",
        "name": "checkout-502",
        "incident_type": outage.pk,
        "severity": sev2.pk,
        "impact_level": "high",
        "urgency": "high",
        "commander": "U0CORA",
        "responder": "U0RUDY",
        "definition": ["affects_customers", "unplanned", "exceeds_one_hour"],
        "summary": "EU customers get 502 at checkout.",
        **changes,
    }
