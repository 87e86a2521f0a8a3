"""The accounts and identifiers `.ci/schema-fuzz` hands schemathesis."""

import io
import runpy
import tomllib
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from incidents import roles
from incidents.services import api_token_authenticate

pytestmark = pytest.mark.django_db

VALUES_SCRIPT = Path(__file__).resolve().parents[2] / ".ci" / "schema_fuzz_values.py"


def run(command, *args):
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def _owner(key):
    found = api_token_authenticate(key=key)[0]
    return found.user if found else None


def test_three_accounts_with_a_token_each_and_new_keys_on_a_second_run():
    first = dict(line.split("=") for line in run("fuzz_accounts").split())
    printed = dict(line.split("=") for line in run("fuzz_accounts").split())
    assert set(printed) == {"admin", "responder", "reader"}
    assert not any(_owner(key) for key in first.values())  # rotated: the old keys are dead
    users = {_owner(key).username: _owner(key) for key in printed.values()}
    admin, responder, reader = (users[f"fuzz-{role}"] for role in ("admin", "responder", "reader"))
    assert admin.is_superuser and not responder.is_superuser and not reader.is_superuser
    assert [g.name for g in responder.groups.all()] == [roles.RESPONDERS]
    assert reader.get_all_permissions() == {"incidents.view_incident"}
    assert not any(user.has_usable_password() for user in users.values())
    assert get_user_model().objects.count() == 3


def test_the_fuzzer_is_offered_the_demo_datas_identifiers(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo", stdout=io.StringIO())
    out = io.StringIO()
    with redirect_stdout(out):
        runpy.run_path(str(VALUES_SCRIPT))
    config = tomllib.loads(out.getvalue())
    assert config["dictionaries"]["severities"]["values"] == ["SEV1", "SEV2", "SEV3", "SEV4"]
    assert config["parameters"]["path.reference"]["dictionary"] == "references"
    teams = next(op for op in config["operations"] if op["include-path-regex"] == "^/api/v1/teams/")
    assert teams["parameters"]["path.slug"]["dictionary"] == "teams"
