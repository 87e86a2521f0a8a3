"""Playbook versions for the incident checklist tests, written straight to the database: the
review rules are the playbooks app's to test."""

from incidents.tests.factories import UserFactory
from playbooks.models import Playbook, PlaybookStep, PlaybookVersion, VersionStatus


def version(service, *, number=1, status=VersionStatus.APPROVED, steps=(), incident_type=None):
    playbook, _created = Playbook.objects.get_or_create(
        service=service,
        incident_type=incident_type,
        defaults={"title": f"{service.name} {incident_type.name if incident_type else 'runbook'}"},
    )
    created = PlaybookVersion.objects.create(
        playbook=playbook, number=number, status=status, author=UserFactory(username="author")
    )
    PlaybookStep.objects.bulk_create(
        PlaybookStep(
            version=created,
            position=position,
            text=text,
            expected_outcome=f"{text}: done",
            command=f"run {position}",
            link="https://example.com/runbook",
        )
        for position, text in enumerate(steps, start=1)
    )
    return created


def approved(service, *steps, **kwargs):
    return version(
        service, steps=steps or ("Roll back the deploy", "Check the error rate"), **kwargs
    )
