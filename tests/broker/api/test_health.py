from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text

from broker.app import create_app
from broker.platform.settings import Settings


def test_healthz_answers_while_the_process_is_up(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert len(response.headers["x-request-id"]) >= 8


def test_readyz_is_ok_at_the_migration_head(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["database"] == "ok"


def test_readyz_is_503_when_the_schema_is_behind(client: TestClient, app) -> None:  # type: ignore[no-untyped-def]
    with app.state.database.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0000'"))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] == "not at migration head"


def test_readyz_is_503_when_the_database_is_unreachable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(database_url="postgresql://nobody@127.0.0.1:1/none")
    with TestClient(create_app(settings)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["retry-after"]


def test_a_well_formed_incoming_request_id_is_kept_and_a_bad_one_replaced(client: TestClient) -> None:
    assert client.get("/healthz", headers={"X-Request-ID": "abc12345-trace"}).headers["x-request-id"] == "abc12345-trace"
    replaced = client.get("/healthz", headers={"X-Request-ID": "bad id\r\nInjected: yes"}).headers["x-request-id"]
    assert replaced != "bad id" and " " not in replaced


def test_unknown_api_path_is_a_problem_document(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 404 and body["title"] and body["request_id"]


def test_unknown_page_is_an_html_error_page(client: TestClient) -> None:
    response = client.get("/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert '<h1 class="govuk-heading-l">Page not found</h1>' in response.text
    assert response.headers["x-request-id"] in response.text
