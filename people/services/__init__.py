"""Teams, critical functions, delegations, unavailability windows and people's preferences
(time zone, paging phone): what staffs incidents and reaches the people on them.

people/selectors.py answers "who holds function F for scope S at time T" from these rows
and incidents/staffing.py fills an incident's roles from it; this package only changes them.

Each function is keyword-only, takes the `actor`, runs in one transaction and validates before
saving. Every change writes its PeopleEvent (audit.py) in that transaction; a refusal, or a
call that changes nothing, writes none. Refusals: `ValidationError` with a message per field
(400), `PermissionDenied` (403) when the actor lacks the model permission (`people.add_team`,
`people.change_delegation`, …; superusers have them all). Anyone may add, change or remove
their own unavailability windows, and change their own preferences. A change to delegations
or windows that leaves a function without a backup tells the coordinators (announce.py).
"""

from people.services.availability import (
    WINDOW_FIELDS,
    unavailability_add,
    unavailability_remove,
    unavailability_update,
)
from people.services.delegations import delegation_remove, delegation_set, delegations_reorder
from people.services.functions import (
    FUNCTION_FIELDS,
    critical_function_create,
    critical_function_update,
)
from people.services.preferences import PREFERENCE_FIELDS, preference_update
from people.services.teams import (
    TEAM_FIELDS,
    team_create,
    team_member_add,
    team_member_remove,
    team_update,
)

__all__ = [
    "FUNCTION_FIELDS",
    "PREFERENCE_FIELDS",
    "TEAM_FIELDS",
    "WINDOW_FIELDS",
    "critical_function_create",
    "critical_function_update",
    "delegation_remove",
    "delegation_set",
    "delegations_reorder",
    "preference_update",
    "team_create",
    "team_member_add",
    "team_member_remove",
    "team_update",
    "unavailability_add",
    "unavailability_remove",
    "unavailability_update",
]
