"""The incident reference is gapless (one row per year, locked while taken), so declarations
made at once wait for each other while that lock is held: it is taken by the declaration's
last write, and nothing written before it shows the stand-in reference."""

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.models import Incident, IncidentPlanStep, ReferenceSequence, TimelineEvent

pytestmark = pytest.mark.django_db
SEQUENCE_TABLE = ReferenceSequence._meta.db_table
SAVEPOINTS = re.compile(r"^(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b")


def statements_after_the_reference(declare, **fields):
    with CaptureQueriesContext(connection) as queries:
        incident = declare(**fields)
    sql = [q["sql"] for q in queries.captured_queries]
    taken = [n for n, statement in enumerate(sql) if SEQUENCE_TABLE in statement]
    assert len(taken) == 1, sql  # one statement creates or bumps the row and locks it
    after = [s for s in sql[taken[0] + 1 :] if not SAVEPOINTS.match(s)]
    return incident, after


def test_the_reference_is_the_declarations_last_write(declare):
    incident, after = statements_after_the_reference(declare)
    # Under the lock: the channel name's uniqueness check, then the incident's update.
    assert len(after) == 2 and after[1].startswith(f'UPDATE "{Incident._meta.db_table}"'), after
    assert re.fullmatch(rf"INC-{timezone.now().year}-0001", incident.reference)
    assert Incident.objects.get().reference == incident.reference


def test_a_private_incident_gets_its_channel_named_after_the_real_reference(declare, security_type):
    incident, after = statements_after_the_reference(declare, incident_type=security_type)
    assert len(after) == 2, after
    day = f"{timezone.now():%Y%m%d}"
    stored = Incident.objects.get()
    assert stored.is_private
    assert (
        stored.channel_name == incident.channel_name == f"inc_inc-{timezone.now().year}-0001_{day}"
    )


def test_references_follow_each_other_and_no_stand_in_is_left(declare, security_type):
    year = timezone.now().year
    references = [declare().reference, declare(incident_type=security_type).reference]
    assert references == [f"INC-{year}-0001", f"INC-{year}-0002"]
    assert ReferenceSequence.objects.get(year=year).last_number == 2
    assert not Incident.objects.filter(reference__startswith="~").exists()
    written = [*TimelineEvent.objects.values_list("message", flat=True)]
    written += [*IncidentPlanStep.objects.values_list("title", flat=True)]
    assert not [text for text in written if "~" in text]


def test_a_refused_declaration_takes_no_number(declare):
    year = timezone.now().year
    with pytest.raises(ValidationError):
        declare(title="")
    assert declare().reference == f"INC-{year}-0001"


@pytest.mark.django_db(transaction=True)
def test_declarations_made_at_once_with_one_title_get_channels_of_their_own(declare):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one write at a time")
    start = threading.Barrier(4)

    def run(_number):
        start.wait()
        try:
            return declare(title="Checkout is failing").channel_name
        finally:
            connections.close_all()

    with ThreadPoolExecutor(4) as pool:
        names = list(pool.map(run, range(4)))

    day = f"{timezone.now():%Y%m%d}"
    expected = {f"inc_checkout-is-failing{suffix}_{day}" for suffix in ("", "-2", "-3", "-4")}
    assert set(names) == expected == set(Incident.objects.values_list("channel_name", flat=True))
