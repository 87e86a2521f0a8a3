from .playbook import (
    Playbook,
    PlaybookApproval,
    PlaybookEvent,
    PlaybookEventKind,
    PlaybookStep,
    PlaybookVersion,
    VersionStatus,
)
from .verification import Verification, VerificationMethod, VerificationOutcome

__all__ = [
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
