from .delegation import Delegation, Unavailability, UnavailabilityReason
from .event import PeopleEvent, PeopleEventKind
from .function import CriticalFunction, IncidentRoleField
from .preference import UserPreference
from .team import Team, TeamMembership

__all__ = [
    "CriticalFunction",
    "Delegation",
    "IncidentRoleField",
    "PeopleEvent",
    "PeopleEventKind",
    "Team",
    "TeamMembership",
    "Unavailability",
    "UnavailabilityReason",
    "UserPreference",
]
