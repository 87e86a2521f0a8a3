"""The response policy's life: draft → in review → effective → superseded, and the priority matrix.

A version is edited only while it is a draft; the effective version is never edited in place (a
change starts a new draft, copied from what is in force). A version in review becomes effective
when a lead of every sign-off team (`Team.signs_off_policy`) has approved it, in the same
transaction as the last sign-off, and the version it replaces becomes superseded. A version
approved by its own author alone is refused. Every change writes a `PolicyEvent` in its
transaction; a submission asks the leads for their sign-off and a version in force tells its author
(announce.py).

Who: drafts are created, edited and submitted by users with the model permission
`policy.change_policyversion`; versions in review are signed off or rejected by team leads.
Refusals: `ValidationError` for bad input (400), `TransitionNotAllowed` when the version's state
forbids the change (409), `PermissionDenied` when the actor may not make it (403).

drafts.py starts and describes drafts, levels.py edits their levels, review.py submits, signs off
and rejects, matrix.py sets the priority matrix. configuration.py edits incident types, severity
levels and priorities, each change recorded as a `ConfigurationEvent`. Front doors import this
package: `from policy import services`.
"""

from .configuration import (
    CRITERION_FIELDS,
    INCIDENT_TYPE_FIELDS,
    PRIORITY_FIELDS,
    SEVERITY_FIELDS,
    incident_type_create,
    incident_type_delete,
    incident_type_update,
    priority_create,
    priority_delete,
    priority_update,
    severity_level_create,
    severity_level_delete,
    severity_level_update,
)
from .drafts import policy_draft_create, policy_draft_update
from .levels import LEVEL_FIELDS, LEVEL_NUMBERS, policy_level_set
from .matrix import priority_matrix_set
from .review import policy_reject, policy_sign_off, policy_submit

__all__ = [
    "CRITERION_FIELDS",
    "INCIDENT_TYPE_FIELDS",
    "PRIORITY_FIELDS",
    "SEVERITY_FIELDS",
    "incident_type_create",
    "incident_type_delete",
    "incident_type_update",
    "priority_create",
    "priority_delete",
    "priority_update",
    "severity_level_create",
    "severity_level_delete",
    "severity_level_update",
    "LEVEL_FIELDS",
    "LEVEL_NUMBERS",
    "policy_draft_create",
    "policy_draft_update",
    "policy_level_set",
    "policy_reject",
    "policy_sign_off",
    "policy_submit",
    "priority_matrix_set",
]
