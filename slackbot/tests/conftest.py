# The Slack front door's tests declare and drive incidents: the declaration fixtures.
from incidents.tests.conftest import (  # noqa: F401
    answers,
    checkout_service,
    commander_user,
    declare,
    incident,
    outage,
    payments_service,
    responder_user,
    security_log,
    security_type,
    sev1,
    sev2,
    stakeholder_user,
)
