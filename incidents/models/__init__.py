from .api_token import ApiToken
from .compliance import IncidentCompliance
from .criteria import IncidentCriterion
from .delegation import Delegation, Unavailability, UnavailabilityReason
from .effort import EffortEntry
from .escalation import EscalationKind, EscalationNotice, StageTarget
from .function import CriticalFunction, IncidentRoleField
from .idempotency import IdempotencyKey
from .incident import AckVia, CancelReason, Incident, IncidentSource, IncidentStatus
from .permissions import IncidentGroupObjectPermission, IncidentUserObjectPermission
from .plan_step import IncidentPlanStep, PlanStepState
from .playbook import IncidentPlaybook, IncidentPlaybookStep
from .policy import (
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
from .preference import UserPreference
from .roles import RoleAssignment
from .sequence import ReferenceSequence
from .severity import Priority, SeverityLevel
from .slack_declaration import SlackDeclaration, SlackDeclarationState
from .slack_identity import SlackIdentityEvent, SlackLinkAction, SlackLinkMethod
from .slack_participant import SlackParticipant
from .status_update import StatusUpdate
from .team import Team, TeamMembership
from .timeline import TimelineEvent, TimelineKind
from .types import ExitCriterion, IncidentType

__all__ = [
    "ApiToken",
    "IncidentPlanStep",
    "PlanStepState",
    "EscalationKind",
    "EscalationNotice",
    "StageTarget",
    "Audience",
    "AckVia",
    "CancelReason",
    "CriticalFunction",
    "Delegation",
    "EffortEntry",
    "ExitCriterion",
    "IdempotencyKey",
    "Impact",
    "Incident",
    "IncidentCompliance",
    "IncidentCriterion",
    "IncidentGroupObjectPermission",
    "IncidentPlaybook",
    "IncidentPlaybookStep",
    "IncidentRoleField",
    "IncidentSource",
    "IncidentStatus",
    "IncidentType",
    "IncidentUserObjectPermission",
    "PolicyEvent",
    "PolicyEventKind",
    "PolicyLevel",
    "PolicySignOff",
    "PolicyStatus",
    "PolicyVersion",
    "Priority",
    "PriorityMatrixCell",
    "ReferenceSequence",
    "RoleAssignment",
    "SeverityLevel",
    "SlackDeclaration",
    "SlackDeclarationState",
    "SlackIdentityEvent",
    "SlackLinkAction",
    "SlackLinkMethod",
    "SlackParticipant",
    "StaffingModel",
    "StatusUpdate",
    "Team",
    "TeamMembership",
    "TimelineEvent",
    "TimelineKind",
    "Unavailability",
    "UnavailabilityReason",
    "Urgency",
    "UserPreference",
]
