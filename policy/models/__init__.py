from .chain_targets import EscalationKind, StageTarget
from .configuration_event import ConfigurationEvent, ConfigurationEventKind
from .severity import Priority, SeverityLevel
from .types import ExitCriterion, IncidentType
from .version import (
    Audience,
    Impact,
    PolicyEvent,
    PolicyEventKind,
    PolicyLevel,
    PolicySignOff,
    PolicyStatus,
    PolicyVersion,
    PriorityMatrixCell,
    StaffingModel,
    Urgency,
)

__all__ = [
    "Audience",
    "ConfigurationEvent",
    "ConfigurationEventKind",
    "EscalationKind",
    "ExitCriterion",
    "Impact",
    "IncidentType",
    "PolicyEvent",
    "PolicyEventKind",
    "PolicyLevel",
    "PolicySignOff",
    "PolicyStatus",
    "PolicyVersion",
    "Priority",
    "PriorityMatrixCell",
    "SeverityLevel",
    "StageTarget",
    "StaffingModel",
    "Urgency",
]
