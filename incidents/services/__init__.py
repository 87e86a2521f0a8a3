"""Every state change of the incidents app, one function each (see lifecycle.py's docstring).

Front doors import this package: `from incidents import services`.
"""

from .lifecycle import (
    EDITABLE_DETAILS,
    incident_acknowledge,
    incident_add_note,
    incident_cancel,
    incident_change_severity,
    incident_change_status,
    incident_check_exit_criterion,
    incident_close,
    incident_declare,
    incident_post_update,
    incident_resolve,
    incident_update_details,
    incident_waive_exit_criterion,
    priority_suggestion,
    unmet_required_criteria,
    update_cadence,
)

__all__ = [
    "EDITABLE_DETAILS",
    "incident_acknowledge",
    "incident_add_note",
    "incident_cancel",
    "incident_change_severity",
    "incident_change_status",
    "incident_check_exit_criterion",
    "incident_close",
    "incident_declare",
    "incident_post_update",
    "incident_resolve",
    "incident_update_details",
    "incident_waive_exit_criterion",
    "priority_suggestion",
    "unmet_required_criteria",
    "update_cadence",
]
