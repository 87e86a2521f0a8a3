"""The API schema and docs are for signed-in users unless BEACON_PUBLIC_API_DOCS opens them."""

import pytest

from incidents.services import api_token_create
from incidents.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SCHEMA, DOCS = "/api/schema/", "/api/docs/"


@pytest.mark.parametrize("accept", ["", "application/json", "application/vnd.oai.openapi"])
def test_an_anonymous_schema_client_is_refused_in_json(client, accept):
    response = client.get(SCHEMA, headers={"accept": accept} if accept else {})
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert "Beacon API" not in response.content.decode()


def test_an_anonymous_browser_opening_the_docs_is_sent_to_log_in(client):
    response = client.get(DOCS, headers={"accept": "text/html"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/api/docs/"


def test_a_signed_in_user_reads_the_docs_and_the_schema(client):
    client.force_login(UserFactory())
    docs = client.get(DOCS)
    assert docs.status_code == 200 and b"swagger-ui" in docs.content
    schema = client.get(SCHEMA, {"format": "json"})
    assert schema.status_code == 200 and schema.json()["info"]["title"] == "Beacon API"


def test_an_api_token_reads_the_schema(client):
    user = UserFactory()
    _token, key = api_token_create(user=user, actor=user)
    response = client.get(SCHEMA, {"format": "json"}, headers={"authorization": f"Token {key}"})
    assert response.status_code == 200 and response.json()["info"]["title"] == "Beacon API"


def test_the_setting_opens_schema_and_docs_to_anyone(client, settings):
    settings.BEACON_PUBLIC_API_DOCS = True
    assert client.get(DOCS).status_code == 200
    schema = client.get(SCHEMA, {"format": "json"})
    assert schema.status_code == 200 and schema.json()["info"]["title"] == "Beacon API"
