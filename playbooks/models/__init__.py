from .playbook import (
    Playbook,
    PlaybookApproval,
    PlaybookEvent,
    PlaybookEventKind,
    PlaybookStep,
    PlaybookVersion,
    VersionStatus,
)
from .service import Service, ServiceGroupObjectPermission, ServiceUserObjectPermission
from .verification import Verification, VerificationMethod, VerificationOutcome

__all__ = [
    "Playbook",
    "PlaybookApproval",
    "PlaybookEvent",
    "PlaybookEventKind",
    "PlaybookStep",
    "PlaybookVersion",
    "Service",
    "ServiceGroupObjectPermission",
    "ServiceUserObjectPermission",
    "Verification",
    "VerificationMethod",
    "VerificationOutcome",
    "VersionStatus",
]
