from .playbook import (
    Playbook,
    PlaybookApproval,
    PlaybookEvent,
    PlaybookEventKind,
    PlaybookStep,
    PlaybookVersion,
    VersionStatus,
)
from .response_plan import (
    CommunicationMethod,
    PlanAudience,
    PlanEventKind,
    ResponsePlan,
    ResponsePlanEvent,
    ResponsePlanStep,
    StepAction,
    TargetKind,
)
from .verification import Verification, VerificationMethod, VerificationOutcome

__all__ = [
    "CommunicationMethod",
    "PlanAudience",
    "PlanEventKind",
    "ResponsePlan",
    "ResponsePlanEvent",
    "ResponsePlanStep",
    "StepAction",
    "TargetKind",
    "Playbook",
    "PlaybookApproval",
    "PlaybookEvent",
    "PlaybookEventKind",
    "PlaybookStep",
    "PlaybookVersion",
    "Verification",
    "VerificationMethod",
    "VerificationOutcome",
    "VersionStatus",
]
