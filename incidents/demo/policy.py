"""Demo response policy and priority matrix for `manage.py seed_demo` (see
policy/services/)."""

from django.contrib.auth import get_user_model

from people.models import CriticalFunction, Team
from policy import services as policy_services
from policy.models import PolicyVersion, Priority, PriorityMatrixCell, SeverityLevel

# ITIL-style: impact × urgency → priority.
PRIORITY_MATRIX = {
    ("high", "high"): "P1",
    ("high", "medium"): "P2",
    ("high", "low"): "P3",
    ("medium", "high"): "P2",
    ("medium", "medium"): "P3",
    ("medium", "low"): "P4",
    ("low", "high"): "P3",
    ("low", "medium"): "P4",
    ("low", "low"): "P4",
}
# severity: what policy v1 demands. Functions are slugs; the commander and responder are
# always staffed, these are paged on top.
POLICY_LEVELS = {
    "SEV1": {
        "ack_target_minutes": 5,
        "update_cadence_minutes": 30,
        "paged_functions": ["incident-commander", "communications-lead", "executive"],
        "audiences": ["responders", "stakeholders", "executives", "customers"],
        "staffing_model": "24x7",
        "max_continuous_hours": 6,
        "expected_people": 4,
        "postmortem_required": True,
        "postmortem_due_days": 3,
        "followup_priority": "P1",
        "followup_due_days": 7,
        "inform_leadership": True,
        # Minutes short enough to watch in `make run`: the unacknowledged SEV1 demo incident
        # pages its chain within five minutes of the start.
        "ack_chain": [
            {"after_minutes": 0, "notify": "commander"},
            {"after_minutes": 0, "notify": "paged_functions"},
            {"after_minutes": 1, "notify": "next_delegate"},
            {"after_minutes": 2, "notify": "executive"},
        ],
        "ack_repeat_minutes": 2,
        "ack_rounds": 3,
    },
    "SEV2": {
        "ack_target_minutes": 15,
        "update_cadence_minutes": 30,
        "paged_functions": ["incident-commander", "communications-lead"],
        "audiences": ["responders", "stakeholders", "customers"],
        "staffing_model": "24x7",
        "max_continuous_hours": 8,
        "expected_people": 3,
        "postmortem_required": True,
        "postmortem_due_days": 5,
        "followup_priority": "P2",
        "followup_due_days": 14,
        "inform_leadership": True,
    },
    "SEV3": {
        "ack_target_minutes": 60,
        "update_cadence_minutes": 120,
        "paged_functions": ["incident-commander"],
        "audiences": ["responders", "stakeholders"],
        "staffing_model": "business_hours",
        "max_continuous_hours": 8,
        "expected_people": 2,
        "postmortem_required": True,
        "postmortem_due_days": 10,
        "followup_priority": "P3",
        "followup_due_days": 30,
        "inform_leadership": False,
    },
    "SEV4": {
        "ack_target_minutes": 240,
        "update_cadence_minutes": 240,
        "paged_functions": [],
        "audiences": ["responders"],
        "staffing_model": "business_hours",
        "max_continuous_hours": 8,
        "expected_people": 1,
        "postmortem_required": False,
        "followup_priority": "P4",
        "followup_due_days": 60,
        "inform_leadership": False,
    },
}


def seed_policy():
    """The priority matrix; policy v1 in force, signed off by every sign-off team's lead; v2 in
    review, one sign-off still missing. Through the services, as the admin user; idempotent."""
    User = get_user_model()
    author = User.objects.get(username="admin")
    priorities = {p.name: p for p in Priority.objects.all()}
    for (impact, urgency), name in PRIORITY_MATRIX.items():
        if not PriorityMatrixCell.objects.filter(impact=impact, urgency=urgency).exists():
            policy_services.priority_matrix_set(
                actor=author, impact=impact, urgency=urgency, priority=priorities[name]
            )
    if PolicyVersion.objects.exists():
        return
    functions = {f.slug: f for f in CriticalFunction.objects.all()}
    severities = {s.name: s for s in SeverityLevel.objects.all()}
    v1 = policy_services.policy_draft_create(
        actor=author,
        summary="The first organisation-wide response policy: targets, cadence, staffing and "
        "learning per severity.",
    )
    for severity, fields in POLICY_LEVELS.items():
        policy_services.policy_level_set(
            actor=author,
            version=v1,
            severity=severities[severity],
            **{
                **fields,
                "paged_functions": [functions[slug] for slug in fields["paged_functions"]],
                "followup_priority": priorities[fields["followup_priority"]],
            },
        )
    policy_services.policy_submit(actor=author, version=v1)
    teams = list(Team.objects.filter(signs_off_policy=True).order_by("name"))

    def lead(team):
        return team.memberships.filter(is_lead=True).select_related("user").first().user

    for team in teams:
        policy_services.policy_sign_off(
            actor=lead(team), version=v1, team=team, comment="Agreed at the ops review."
        )
    v2 = policy_services.policy_draft_create(
        actor=author,
        summary="SEV2: acknowledge within 10 minutes and inform executives; SEV3 updates "
        "every hour.",
    )
    policy_services.policy_level_set(
        actor=author,
        version=v2,
        severity=severities["SEV2"],
        ack_target_minutes=10,
        audiences=["responders", "stakeholders", "executives", "customers"],
    )
    policy_services.policy_level_set(
        actor=author, version=v2, severity=severities["SEV3"], update_cadence_minutes=60
    )
    policy_services.policy_submit(actor=author, version=v2)
    for team in teams[:-1]:  # the last team's lead has not signed yet
        policy_services.policy_sign_off(actor=lead(team), version=v2, team=team)
