from .delegation import Delegation, Unavailability, UnavailabilityReason
from .function import CriticalFunction, IncidentRoleField
from .preference import UserPreference
from .team import Team, TeamMembership

__all__ = [
    "CriticalFunction",
    "Delegation",
    "IncidentRoleField",
    "Team",
    "TeamMembership",
    "Unavailability",
    "UnavailabilityReason",
    "UserPreference",
]
