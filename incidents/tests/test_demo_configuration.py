"""The demo's incident types, severities and priorities are made through the policy's services,
as the demo's admin, and a second run records nothing."""

import pytest
from django.contrib.auth import get_user_model

from incidents.demo.configuration import PRIORITIES, SEVERITIES, TYPES, seed_configuration
from policy.models import ConfigurationEvent, ConfigurationEventKind, ExitCriterion

pytestmark = pytest.mark.django_db


def test_the_demo_configuration_is_audited_and_a_second_run_records_nothing():
    admin = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
    seed_configuration()
    events = list(ConfigurationEvent.objects.select_related("about_type"))
    assert {(e.kind, e.actor) for e in events} == {(ConfigurationEventKind.CREATED, admin)}
    made = sorted((e.about_type.model, e.description) for e in events)
    assert made == sorted(
        [("severitylevel", name) for name, *_ in SEVERITIES]
        + [("priority", name) for name, _ in PRIORITIES]
        + [("incidenttype", name) for name in TYPES]
    )
    assert ExitCriterion.objects.count() == sum(len(criteria) for _, criteria in TYPES.values())
    seed_configuration()
    assert ConfigurationEvent.objects.count() == len(events)
