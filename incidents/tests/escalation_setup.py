"""An organisation and an effective policy for the escalation tests.

Incident commander (organisation): Cora, Pat, Nina; communications lead: Pat; executive: Erin.
SEV1 pages the communications lead; its chain pages the commander and the paged functions at
declaration, the next commander delegate at 5 and 10 minutes, the executive at 15; a round is
20 minutes (5 after the last stage), 2 rounds."""

from incidents.tests import factories
from people.models import Delegation
from people.tests.setup import build_org, person
from policy.models import PolicyLevel, PolicyStatus, PolicyVersion

SEV1_ACK_CHAIN = [
    {"after_minutes": 0, "notify": "commander"},
    {"after_minutes": 0, "notify": "paged_functions"},
    {"after_minutes": 5, "notify": "next_delegate"},
    {"after_minutes": 10, "notify": "next_delegate"},
    {"after_minutes": 15, "notify": "executive"},
]


def escalation_org():
    org = build_org()
    org.nina = person("nina", "Nina", "Park", factories.commander)
    Delegation.objects.create(function=org.commander, team=None, user=org.nina, rank=3)
    executive = factories.CriticalFunctionFactory(name="Executive", slug="executive", position=9)
    org.erin = person("erin", "Erin", "Exec", factories.stakeholder)
    Delegation.objects.create(function=executive, team=None, user=org.erin, rank=1)
    return org


def effective_policy(author, levels):
    """A version in force with the given levels: {severity: (paged functions, fields)}."""
    version = PolicyVersion.objects.create(number=1, status=PolicyStatus.EFFECTIVE, author=author)
    for severity, (functions, fields) in levels.items():
        level = PolicyLevel.objects.create(
            version=version, severity=severity, ack_target_minutes=5, **fields
        )
        level.paged_functions.set(functions)
    return version


def sev1_paging_policy(org, sev1, sev2):
    """SEV1 pages the communications lead by SEV1_ACK_CHAIN, 2 rounds; SEV2 pages nobody."""
    return effective_policy(
        org.cora,
        {
            sev1: (
                [org.comms],
                {"ack_chain": SEV1_ACK_CHAIN, "ack_repeat_minutes": 5, "ack_rounds": 2},
            ),
            sev2: ([], {}),
        },
    )
