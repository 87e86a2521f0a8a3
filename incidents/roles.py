"""The standard groups, created (or topped up) after every migrate. Admins may add more."""

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from core.groups import COMMANDERS, COORDINATORS, RESPONDERS, STAKEHOLDERS

# Responders also write playbooks; approving them is granted per service (object permission).
_PLAYBOOK_EDITOR = ["playbooks.add_playbook", "playbooks.change_playbook"]
_RESPONDER_PERMS = ["add_incident", "change_incident", "view_incident", *_PLAYBOOK_EDITOR]
# Coordinators keep the agreed process current: teams, functions, delegates, windows, the
# response policy drafts and the priority matrix (sign-off stays with the team leads); they
# also unlock people locked out after failed logins.
_COORDINATOR_MODELS = {
    "people.team": "add change view",
    "people.criticalfunction": "add change view",
    "people.delegation": "add change delete view",
    "people.unavailability": "add change delete view",
    "policy.policyversion": "add change view",
    "policy.prioritymatrixcell": "change view",
    "effortentry": "change delete view",
    "catalog.service": "add change view",
    # Unlocking a login is deleting its access attempt (django-axes' admin); revoking an API
    # token takes the change permission.
    "axes.accessattempt": "delete view",
    "axes.accesslog": "view",
    "apitoken": "change view",
}


def _qualified(model, action):
    app_label, _dot, name = model.rpartition(".")
    return f"{app_label}.{action}_{name}" if app_label else f"{action}_{name}"


GROUP_PERMISSIONS = {
    COORDINATORS: [
        "view_incident",
        *(
            _qualified(model, action)
            for model, actions in _COORDINATOR_MODELS.items()
            for action in actions.split()
        ),
    ],
    COMMANDERS: [*_RESPONDER_PERMS, "waive_exit_criterion"],
    RESPONDERS: _RESPONDER_PERMS,
    STAKEHOLDERS: ["view_incident"],
}


def _permissions(names):
    """Permissions named "codename" (incidents app) or "app_label.codename"."""
    wanted = Q(pk__in=[])
    for name in names:
        app_label, _dot, codename = name.rpartition(".")
        wanted |= Q(content_type__app_label=app_label or "incidents", codename=codename)
    return Permission.objects.filter(wanted)


def ensure_default_groups(**kwargs):
    """Runs after each app's migrations (its permissions exist only then); idempotent."""
    groups = {**GROUP_PERMISSIONS, settings.BEACON_SECURITY_GROUP: _RESPONDER_PERMS}
    for name, names in groups.items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.add(*_permissions(names))
