import pytest
from django.core.management import call_command

from incidents.delegation import single_points_of_failure
from incidents.models import Delegation, Incident, IncidentStatus

pytestmark = pytest.mark.django_db


def test_demo_data_is_idempotent_and_has_one_deliberate_spof(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo")
    counts = (Incident.objects.count(), Delegation.objects.count())
    call_command("seed_demo")
    assert (Incident.objects.count(), Delegation.objects.count()) == counts
    assert {s for s in Incident.objects.values_list("status", flat=True)} == set(IncidentStatus)
    assert [(r.function.slug, r.team) for r in single_points_of_failure()] == [
        ("security-lead", None)
    ]
    assert (tmp_path / "demo-credentials.txt").read_text()
