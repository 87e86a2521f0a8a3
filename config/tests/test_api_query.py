"""Query parameters are typed in the schema, and a value their type refuses answers 400 naming
the parameter (core/api/query.py), over every parameter of every operation."""

import pytest

from .openapi import API, operations, path_values, query_parameters, real_url

pytestmark = pytest.mark.django_db


def invalid_values(schema):
    """Values the parameter's schema does not allow (none for a free string)."""
    items = schema.get("items", schema)
    values = []
    if items.get("type") == "boolean":
        values += ["maybe", "1", "TRUE", ""]
    if items.get("type") == "integer":
        values += ["x", "1.5", ""]
        if "minimum" in items:
            values.append(str(items["minimum"] - 1))
    if "enum" in items:
        values.append("no-such-choice")
    if "pattern" in items or items.get("format") in ("date", "date-time"):
        values += ["not-it", ""]
    return values


def test_every_query_parameter_is_typed_and_refuses_what_its_type_refuses(
    demo, raw_schema, admin_api
):
    values = path_values(admin_api)
    wrong, tried = [], 0
    for path, method, operation in operations(raw_schema):
        parameters = query_parameters(operation)
        if method != "GET" or not parameters:
            continue
        url = real_url(path, values)
        required = {p["name"]: "security-lead" for p in parameters if p.get("required")}
        for parameter in parameters:
            name, schema = parameter["name"], parameter["schema"]
            if not schema.get("type"):
                wrong.append(f"{method} {path}: ?{name} has no type")
            bad = [[value] for value in invalid_values(schema)]
            if schema.get("type") != "array":
                bad.append(["1", "1"] if schema.get("type") != "boolean" else ["true", "true"])
            for given in bad:
                tried += 1
                response = admin_api.get(url, {**required, name: given})
                if response.status_code != 400 or name not in response.json():
                    wrong.append(f"{method} {url}?{name}={given}: {response.status_code}")
    assert tried > 40
    assert not wrong, "\n".join(wrong)


def test_pages_are_whole_numbers_from_1_and_a_page_past_the_end_is_404(admin_api):
    for page in ("0", "-1", "two", "last", "1.0"):
        response = admin_api.get(f"{API}/teams/", {"page": page})
        assert response.status_code == 400
        assert response.json() == {"page": ["Give a page number from 1."]}
    response = admin_api.get(f"{API}/teams/", {"page": 2})
    assert response.status_code == 404 and "detail" in response.json()
    assert admin_api.get(f"{API}/teams/", {"page": 1}).status_code == 200
