"""Request bodies keep the JSON types the schema documents (core/api/strict.py): every
body field of every operation refuses a value of another type, and accepts its own."""

import json

import pytest

from .openapi import operations, path_values, real_url, resolve

pytestmark = pytest.mark.django_db


RIGHT_TYPE = {
    "string": "x",
    "integer": 1,
    "number": 1.5,
    "boolean": True,
    "array": [],
    "object": {},
}
TYPE_REFUSALS = {
    "Give true or false.",
    "Give a whole number.",
    "Give a number.",
    'Give the number as text, such as "1.5".',
    "Give text.",
    "Give a list.",
    "Give an object.",
}


def mistyped(raw_schema, schema):
    """(value, field suffix) pairs of the wrong JSON type for a property's schema."""
    schema = resolve(raw_schema, schema)
    kind = schema.get("type")
    if kind == "string" and schema.get("format") == "decimal":
        return [(1.5, "")]
    if kind == "string":
        wrong = [(5, ""), (True, "")]
        return [*wrong, ("", "")] if schema.get("minLength") and schema.get("nullable") else wrong
    if kind == "integer":
        return [("5", ""), (1.5, ""), (False, "")]
    if kind == "boolean":
        return [(0, ""), ("true", "")]
    if kind == "array":
        items = mistyped(raw_schema, schema["items"])
        return [("x", ""), *[([value], ".0") for value, _suffix in items[:1]]]
    if kind == "object":
        return [("x", "")]
    return []


def test_every_body_field_refuses_a_value_of_another_type(demo, raw_schema, admin_api):
    values = path_values(admin_api)
    wrong, tried = [], 0
    for path, method, operation in operations(raw_schema):
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" not in content:
            continue
        body = resolve(raw_schema, content["application/json"]["schema"])
        url = real_url(path, values)
        for parameter, value in (("{criterion_id}", "1"), ("{step_id}", "1"), ("{username}", "x")):
            url = url.replace(parameter, value)
        for name, schema in body.get("properties", {}).items():
            if schema.get("readOnly"):
                continue
            for value, suffix in mistyped(raw_schema, schema):
                tried += 1
                response = admin_api.generic(
                    method, url, json.dumps({name: value}), content_type="application/json"
                )
                if response.status_code != 400 or f"{name}{suffix}" not in response.json():
                    wrong.append(f"{method} {url} {name}={value!r}: {response.content[:200]}")
            kind = resolve(raw_schema, schema).get("type")
            if kind in RIGHT_TYPE:  # and the documented type is not refused as another
                given = "1.5" if schema.get("format") == "decimal" else RIGHT_TYPE[kind]
                response = admin_api.generic(
                    method, url, json.dumps({name: given}), content_type="application/json"
                )
                errors = response.json() if response.status_code == 400 else {}
                if set(errors.get(name, [])) & TYPE_REFUSALS:
                    wrong.append(f"{method} {url} {name}={given!r} refused: {errors[name]}")
    assert tried > 150
    assert not wrong, "\n".join(wrong)


def test_a_form_body_says_yes_or_no_with_true_or_false(demo, admin_api):
    url = "/api/v1/teams/"
    for given in ("0", "1", "yes", "on", "TRUE"):
        response = admin_api.post(url, {"name": "Ops", "signs_off_policy": given})
        assert response.status_code == 400
        assert response.json() == {"signs_off_policy": ["Give true or false."]}
    response = admin_api.post(url, {"name": "Ops", "signs_off_policy": "true"})
    assert response.status_code == 201 and response.json()["signs_off_policy"] is True


def test_nested_objects_travel_in_json_only(demo, raw_schema, admin_api):
    paths = raw_schema["paths"]
    assert list(paths["/api/v1/services/"]["post"]["requestBody"]["content"]) == [
        "application/json"
    ]
    assert "multipart/form-data" in paths["/api/v1/teams/"]["post"]["requestBody"]["content"]
    form = {"name": "Ledger", "slug": "ledger", "owner_team": "platform"}
    links = '[{"label": "Runbook"}]'
    response = admin_api.post("/api/v1/services/", {**form, "links": links})
    assert response.status_code == 400
    assert response.json() == {"links": ["Send nested objects in a JSON body."]}
    response = admin_api.post("/api/v1/services/", form, format="json")
    assert response.status_code == 201, response.content
