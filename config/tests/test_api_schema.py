"""The OpenAPI schema tells the truth, over every operation: the in-suite net under
`.ci/schema-fuzz` for what schemathesis found. Errors left undocumented (400, 401, 403, 404,
409, 422, 429; a 200 documented as 201), responses the schema did not describe (null, "" outside
an enum, a month typed as a date, an empty link typed as a URI), JSON 404s under /api/, and
descriptions borrowed from mixins."""

import inspect

import pytest
import requests
import schemathesis
from rest_framework import serializers

from config.api_router import router
from incidents.tests import factories

from .openapi import API, operations, path_values, query_parameters

pytestmark = pytest.mark.django_db

BASE = "http://testserver"


def conformance(st_schema, path, method, url, response):
    """schemathesis' own verdict on a response, as text ('' when it conforms)."""
    documented = st_schema[path][method]
    prepared = requests.Request(method, BASE + url).prepare()
    answer = schemathesis.Response(
        status_code=response.status_code,
        headers={name: [value] for name, value in response.headers.items()},
        content=response.content,
        request=prepared,
        elapsed=0.0,
        verify=False,
    )
    try:
        documented.validate_response(answer)
    except Exception as failure:  # schemathesis raises a group of failures
        return f"{method} {url}: {failure}"
    return ""


# --- Every operation documents the errors it can give ------------------------------------------


def test_every_operation_documents_its_errors(raw_schema):
    wrong = []
    for path, method, operation in operations(raw_schema):
        responses = operation["responses"]
        expected = {"400", "401", "403", "429"}
        if "{" in path or any(p["name"] == "page" for p in query_parameters(operation)):
            expected.add("404")
        headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        if "Idempotency-Key" in headers:
            expected.add("422")
        missing = expected - set(responses)
        if missing:
            wrong.append(f"{method} {path} lacks {sorted(missing)}")
        if "Retry-After" not in responses.get("429", {}).get("headers", {}):
            wrong.append(f"{method} {path}: 429 without Retry-After")
        for code in set(responses) & {"401", "403", "404", "409", "422", "429"}:
            body = responses[code]["content"]["application/json"]["schema"]
            if body != {"$ref": "#/components/schemas/Error"}:
                wrong.append(f"{method} {path}: {code} body is {body}")
    assert not wrong, "\n".join(wrong)


def test_idempotent_posts_document_the_header_and_422(raw_schema):
    idempotent = {
        (path, method)
        for path, method, operation in operations(raw_schema)
        if any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", []))
    }
    assert ("/api/v1/incidents/", "POST") in idempotent
    assert all(method == "POST" for _path, method in idempotent)
    for path, method in idempotent:
        assert "422" in raw_schema["paths"][path][method.lower()]["responses"]


def test_writes_refused_by_an_objects_state_document_409(raw_schema):
    paths = raw_schema["paths"]
    assert "409" in paths["/api/v1/incidents/{reference}/resolve/"]["post"]["responses"]
    assert "409" in paths["/api/v1/policies/{number}/submit/"]["post"]["responses"]
    assert "409" in paths["/api/v1/playbook-versions/{id}/"]["patch"]["responses"]
    assert "409" not in paths["/api/v1/teams/{slug}/"]["patch"]["responses"]
    assert "409" not in paths["/api/v1/incidents/"]["post"]["responses"]


def test_path_parameters_are_typed_and_a_lookup_of_digits_is_an_integer(raw_schema):
    types = {}
    for path, method, operation in operations(raw_schema):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path":
                assert parameter["schema"].get("type"), f"{method} {path} {parameter['name']}"
                types[parameter["name"]] = parameter["schema"]["type"]
    assert types["number"] == types["id"] == types["criterion_id"] == "integer"
    assert types["reference"] == types["slug"] == "string"


def _subclasses(cls):
    for subclass in cls.__subclasses__():
        yield subclass
        yield from _subclasses(subclass)


def test_no_description_is_borrowed_from_a_base_class(raw_schema):
    inherited = {
        inspect.getdoc(base)
        for _prefix, viewset, _basename in router.registry
        for base in viewset.__mro__[1:]
        if base.__dict__.get("__doc__")
    }
    borrowed = [
        f"{method} {path}"
        for path, method, operation in operations(raw_schema)
        if operation.get("description") in inherited
    ]
    components = raw_schema["components"]["schemas"]
    ours = ("incidents.", "playbooks.", "notifications.")
    for cls in _subclasses(serializers.BaseSerializer):
        if not cls.__module__.startswith(ours):
            continue
        own = inspect.cleandoc(cls.__doc__) if cls.__dict__.get("__doc__") else None
        name = cls.__name__.removesuffix("Serializer")
        for component in (name, f"{name}Request", f"Patched{name}Request"):
            described = components.get(component, {}).get("description")
            if described and described != own:
                borrowed.append(f"{component}: {described}")
    assert not borrowed, borrowed


# --- Real responses conform: nullable, "" in enums, empty links, months ------------------------


def test_real_responses_conform_to_the_schema(demo, raw_schema, admin_api):
    st_schema = schemathesis.openapi.from_dict(raw_schema)
    values = path_values(admin_api)
    wrong, checked = [], 0
    for path, method, _operation in operations(raw_schema):
        if method != "GET":
            continue
        parts = path.removeprefix(f"{API}/").split("/")
        urls = [path]
        if "{" in path:
            urls = [path.replace(parts[1], value) for value in values[parts[0]]]
            assert urls, f"no {parts[0]} in the demo data for {path}"
        for url in urls:
            response = admin_api.get(url)
            checked += 1
            wrong.append(conformance(st_schema, path, method, url, response))
    # Months, links and nulls in one more place each: reports and a month given.
    for url in (f"{API}/reports/effort/?month=2026-03", f"{API}/reports/compliance/"):
        path = url.split("?")[0]
        wrong.append(conformance(st_schema, path, "GET", url, admin_api.get(url)))
    assert checked > 80
    wrong = [line for line in wrong if line]
    assert not wrong, "\n\n".join(wrong)


def test_setting_a_matrix_cell_answers_what_the_schema_says(raw_schema, admin_api):
    factories.PriorityFactory(name="P1", rank=1)
    body = {"impact": "high", "urgency": "high", "priority": "P1"}
    response = admin_api.post(f"{API}/priority-matrix/", body, format="json")
    documented = raw_schema["paths"]["/api/v1/priority-matrix/"]["post"]["responses"]
    assert str(response.status_code) in documented and response.status_code == 200


def test_an_address_no_api_route_matches_is_a_json_404(admin_api):
    response = admin_api.get(f"{API}/incidents/INC-1/exit-criteria/one/check/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_body_over_the_size_limit_is_a_json_400(admin_api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = admin_api.post(f"{API}/incidents/", {"title": "x" * 2000}, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": "Malformed request."}
