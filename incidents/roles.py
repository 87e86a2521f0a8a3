"""The standard groups, created (or topped up) after every migrate. Admins may add more."""

from django.conf import settings
from django.contrib.auth.models import Group, Permission

COMMANDERS = "Incident commanders"
RESPONDERS = "Responders"
STAKEHOLDERS = "Stakeholders"
COORDINATORS = "Incident coordinators"

_RESPONDER_PERMS = ["add_incident", "change_incident", "view_incident"]
# Coordinators keep the agreed process current: teams, functions, delegates, windows, the
# response policy drafts and the priority matrix (sign-off stays with the team leads).
_COORDINATOR_MODELS = {
    "team": "add change view",
    "criticalfunction": "add change view",
    "delegation": "add change delete view",
    "unavailability": "add change delete view",
    "policyversion": "add change view",
    "prioritymatrixcell": "change view",
    "effortentry": "change delete view",
}
GROUP_PERMISSIONS = {
    COORDINATORS: [
        "view_incident",
        *(
            f"{action}_{model}"
            for model, actions in _COORDINATOR_MODELS.items()
            for action in actions.split()
        ),
    ],
    COMMANDERS: [*_RESPONDER_PERMS, "waive_exit_criterion"],
    RESPONDERS: _RESPONDER_PERMS,
    STAKEHOLDERS: ["view_incident"],
}


def ensure_default_groups(**kwargs):
    groups = {**GROUP_PERMISSIONS, settings.BEACON_SECURITY_GROUP: _RESPONDER_PERMS}
    for name, codenames in groups.items():
        group, _created = Group.objects.get_or_create(name=name)
        perms = Permission.objects.filter(
            content_type__app_label="incidents", codename__in=codenames
        )
        group.permissions.add(*perms)
