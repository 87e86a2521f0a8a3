from .criteria import IncidentCriterion
from .idempotency import IdempotencyKey
from .incident import CancelReason, Incident, IncidentSource, IncidentStatus
from .permissions import IncidentGroupObjectPermission, IncidentUserObjectPermission
from .preference import UserPreference
from .sequence import ReferenceSequence
from .severity import Priority, SeverityLevel
from .status_update import StatusUpdate
from .timeline import TimelineEvent, TimelineKind
from .types import ExitCriterion, IncidentType

__all__ = [
    "CancelReason",
    "ExitCriterion",
    "IdempotencyKey",
    "Incident",
    "IncidentCriterion",
    "IncidentGroupObjectPermission",
    "IncidentSource",
    "IncidentStatus",
    "IncidentType",
    "IncidentUserObjectPermission",
    "Priority",
    "ReferenceSequence",
    "SeverityLevel",
    "StatusUpdate",
    "TimelineEvent",
    "TimelineKind",
    "UserPreference",
]
