"""Walking the API schema in tests: its operations, their query parameters, and real
identifiers (from the demo data) for their path parameters."""

API = "/api/v1"


def operations(raw_schema):
    for path, item in raw_schema["paths"].items():
        for method, operation in item.items():
            yield path, method.upper(), operation


def resolve(raw_schema, schema):
    while "$ref" in schema:
        schema = raw_schema["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def path_values(client):
    """Real identifiers for every path parameter a GET operation takes, per collection."""

    def listed(collection):
        body = client.get(f"{API}/{collection}/").json()
        return body["results"] if isinstance(body, dict) else body

    key = {
        "incidents": "reference",
        "teams": "slug",
        "critical-functions": "slug",
        "services": "slug",
        "policies": "number",
    }
    collections = [
        *key,
        "delegations",
        "unavailability",
        "playbooks",
        "playbook-versions",
        "response-plans",
    ]
    return {c: [str(item[key.get(c, "id")]) for item in listed(c)] for c in collections}


def real_url(path, values):
    """The path with its first parameter filled from the demo data (the first object)."""
    parts = path.removeprefix(f"{API}/").split("/")
    return path.replace(parts[1], values[parts[0]][0]) if "{" in path else path


def query_parameters(operation):
    return [p for p in operation.get("parameters", []) if p["in"] == "query"]
