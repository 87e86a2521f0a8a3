from .api_token import ApiToken
from .compliance import IncidentCompliance
from .criteria import IncidentCriterion
from .effort import EffortEntry
from .escalation import EscalationNotice
from .incident import AckVia, CancelReason, Incident, IncidentSource, IncidentStatus
from .permissions import IncidentGroupObjectPermission, IncidentUserObjectPermission
from .plan_step import IncidentPlanStep, PlanStepState
from .playbook import IncidentPlaybook, IncidentPlaybookStep
from .roles import RoleAssignment
from .sequence import ReferenceSequence
from .slack_identity import SlackIdentityEvent, SlackLinkAction, SlackLinkMethod
from .slack_participant import SlackParticipant
from .status_update import StatusUpdate
from .timeline import TimelineEvent, TimelineKind

__all__ = [
    "ApiToken",
    "IncidentPlanStep",
    "PlanStepState",
    "EscalationNotice",
    "AckVia",
    "CancelReason",
    "EffortEntry",
    "Incident",
    "IncidentCompliance",
    "IncidentCriterion",
    "IncidentGroupObjectPermission",
    "IncidentPlaybook",
    "IncidentPlaybookStep",
    "IncidentSource",
    "IncidentStatus",
    "IncidentUserObjectPermission",
    "ReferenceSequence",
    "RoleAssignment",
    "SlackIdentityEvent",
    "SlackLinkAction",
    "SlackLinkMethod",
    "SlackParticipant",
    "StatusUpdate",
    "TimelineEvent",
    "TimelineKind",
]
