# People's tests also check what an incident shows of its staff: the declaration fixtures.
from incidents.tests.conftest import commander_user, declare, outage, sev1, sev2  # noqa: F401
