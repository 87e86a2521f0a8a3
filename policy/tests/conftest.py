# The policy's tests also declare incidents under it: the declaration fixtures.
from incidents.tests.conftest import (  # noqa: F401
    commander_user,
    declare,
    incident,
    outage,
    security_type,
    sev1,
    sev2,
    stakeholder_user,
)
