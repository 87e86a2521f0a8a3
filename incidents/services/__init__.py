"""Every state change of the incidents app, one function each; lifecycle.py's docstring
says how they refuse.

Front doors import this package: `from incidents import services`.
"""

from .api_tokens import (
    api_token_authenticate,
    api_token_create,
    api_token_revoke,
    api_token_rotate,
)
from .base import update_cadence
from .compliance import incident_compliance_refresh
from .declaration import incident_declare
from .details import EDITABLE_DETAILS, incident_add_note, incident_update_details
from .effort import effort_log, effort_remove
from .exit_criteria import (
    incident_check_exit_criterion,
    incident_waive_exit_criterion,
    unmet_required_criteria,
)
from .lifecycle import (
    WORKING_TRANSITIONS,
    incident_acknowledge,
    incident_cancel,
    incident_change_severity,
    incident_change_status,
    incident_close,
    incident_post_update,
    incident_resolve,
)
from .playbooks import incident_complete_playbook_step
from .response_plan import incident_complete_plan_step
from .roles import incident_hand_over_role, role_flag_handover_due
from .slack_identity import (
    slack_identity_link,
    slack_identity_unlink,
    slack_link_token,
    slack_link_token_read,
)

__all__ = [
    "api_token_authenticate",
    "api_token_create",
    "api_token_revoke",
    "api_token_rotate",
    "effort_log",
    "effort_remove",
    "incident_compliance_refresh",
    "incident_hand_over_role",
    "role_flag_handover_due",
    "EDITABLE_DETAILS",
    "WORKING_TRANSITIONS",
    "incident_acknowledge",
    "incident_add_note",
    "incident_cancel",
    "incident_change_severity",
    "incident_change_status",
    "incident_check_exit_criterion",
    "incident_close",
    "incident_complete_plan_step",
    "incident_complete_playbook_step",
    "incident_declare",
    "incident_post_update",
    "incident_resolve",
    "incident_update_details",
    "incident_waive_exit_criterion",
    "slack_identity_link",
    "slack_identity_unlink",
    "slack_link_token",
    "slack_link_token_read",
    "unmet_required_criteria",
    "update_cadence",
]
