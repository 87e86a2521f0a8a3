"""Print a schemathesis config (TOML) that offers the fuzzer the demo data's real identifiers,
so that most generated requests reach existing objects instead of a 404; the rest stays random.
Run by .ci/schema-fuzz: `manage.py shell < .ci/schema_fuzz_values.py > schemathesis.toml`."""

import json

from django.contrib.auth import get_user_model

from catalog.models import Service
from incidents.models import (
    EffortEntry,
    Incident,
    IncidentCriterion,
    IncidentPlanStep,
    IncidentPlaybookStep,
)
from notifications.models import Delivery
from people.models import CriticalFunction, Delegation, Team, Unavailability
from playbooks.models import Playbook, PlaybookVersion
from policy.models import IncidentType, PolicyVersion, Priority, SeverityLevel
from response.models import ResponsePlan

REAL = 0.8  # how often a bound parameter takes a real value


def values(model, field="pk"):
    return list(model.objects.order_by(field).values_list(field, flat=True))


DICTIONARIES = {
    "references": values(Incident, "reference"),
    "policy_numbers": values(PolicyVersion, "number"),
    "teams": values(Team, "slug"),
    "functions": values(CriticalFunction, "slug"),
    "services": values(Service, "slug"),
    "types": values(IncidentType, "slug"),
    "severities": values(SeverityLevel, "name"),
    "priorities": values(Priority, "name"),
    "usernames": values(get_user_model(), "username"),
    "delegations": values(Delegation),
    "windows": values(Unavailability),
    "playbooks": values(Playbook),
    "versions": values(PlaybookVersion),
    "plans": values(ResponsePlan),
    "deliveries": values(Delivery),
    "criteria": values(IncidentCriterion),
    "playbook_steps": values(IncidentPlaybookStep),
    "plan_steps": values(IncidentPlanStep),
    "effort": values(EffortEntry),
}
EVERYWHERE = {
    "path.reference": "references",
    "path.number": "policy_numbers",
    "path.username": "usernames",
    "path.criterion_id": "criteria",
    "path.entry_id": "effort",
    "query.function": "functions",
    "query.team": "teams",
    "query.user": "usernames",
    "query.incident_type": "types",
    "query.playbook": "playbooks",
    "body.incident_type": "types",
    "body.severity": "severities",
    "body.priority": "priorities",
    "body.followup_priority": "priorities",
    "body.team": "teams",
    "body.owner_team": "teams",
    "body.function": "functions",
    "body.paged_functions[*]": "functions",
    "body.services[*]": "services",
    "body.dependencies[*]": "services",
    "body.service": "services",
    "body.user": "usernames",
    "body.to_user": "usernames",
    "body.commander": "usernames",
    "body.responder": "usernames",
    "body.users[*]": "usernames",
    "body.invitees[*]": "usernames",
    "body.playbook": "playbooks",
    "body.copy_from": "policy_numbers",
    "body.duplicate_of": "references",
}
# Path parameters whose objects depend on the collection.
BY_PATH = {
    "^/api/v1/teams/": {"path.slug": "teams"},
    "^/api/v1/critical-functions/": {"path.slug": "functions"},
    "^/api/v1/services/": {"path.slug": "services"},
    "^/api/v1/delegations/": {"path.id": "delegations"},
    "^/api/v1/unavailability/": {"path.id": "windows"},
    "^/api/v1/playbooks/": {"path.id": "playbooks"},
    "^/api/v1/playbook-versions/": {"path.id": "versions"},
    "^/api/v1/response-plans/": {"path.id": "plans"},
    "^/api/v1/deliveries/": {"path.id": "deliveries"},
    "/playbook-steps/": {"path.step_id": "playbook_steps"},
    "/plan-steps/": {"path.step_id": "plan_steps"},
}


def binding(name):
    return f'{{ dictionary = "{name}", probability = {REAL} }}'


lines = []
for name, entries in DICTIONARIES.items():
    if entries:
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(entries)}", ""]
lines.append("[parameters]")
lines += [f'"{key}" = {binding(name)}' for key, name in EVERYWHERE.items() if DICTIONARIES[name]]
for regex, bound in BY_PATH.items():
    lines += ["", "[[operations]]", f"include-path-regex = {json.dumps(regex)}"]
    lines.append("[operations.parameters]")
    lines += [f'"{key}" = {binding(name)}' for key, name in bound.items() if DICTIONARIES[name]]
print("\n".join(lines))
