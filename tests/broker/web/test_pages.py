"""The pages anyone can read, and the layout every page shares."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from broker.web.templating import Account


@pytest.mark.parametrize(("path", "heading"), [
    ("/", "Share information about your child&#39;s special educational needs"),
    ("/privacy", "How we use your information"),
    ("/accessibility", "Accessibility statement for SEND information sharing"),
])
def test_public_pages(client: TestClient, path: str, heading: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert heading in response.text or heading.replace("&#39;", "'") in response.text
    page = response.text
    assert 'class="govuk-skip-link"' in page and 'href="#main-content"' in page
    assert 'id="main-content"' in page
    assert "govuk-generic-header" in page
    assert "SEND information sharing" in page
    assert "govuk-phase-banner" in page
    assert 'href="/accessibility"' in page
    assert 'href="/assets/govuk-frontend.min.css"' in page
    assert '<script type="module" src="/static/init.js"></script>' in page


def test_pages_do_not_show_the_crown(client: TestClient) -> None:
    page = client.get("/").text
    assert "govuk-header__" not in page
    assert "Crown copyright" not in page
    assert "govuk-crest" not in page


def test_public_pages_set_no_cookie(client: TestClient) -> None:
    assert "set-cookie" not in client.get("/").headers


def test_signed_out_header_offers_sign_in(app: FastAPI) -> None:
    with TestClient(app) as client:
        page = client.get("/").text
    assert '<a class="govuk-service-navigation__link" href="/sign-in">Sign in</a>' in page
    assert 'href="/sign-in" role="button"' in page  # the start button


def test_signed_in_header_names_the_person_and_signs_out_by_form(app: FastAPI) -> None:
    app.state.sign_in_url = "/sign-in"
    app.state.web_account = lambda request: Account("Sarah Clarke", "/sign-out")
    with TestClient(app) as client:
        page = client.get("/").text
    assert "Signed in as Sarah Clarke" in page
    assert '<form method="post" action="/sign-out"' in page
    assert 'name="form_token"' in page
    assert ">Sign in<" not in page


def test_error_page_is_in_the_layout_with_a_reference(client: TestClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found – SEND information sharing" in response.text
    assert response.headers["x-request-id"] in response.text
    assert "govuk-generic-header" in response.text


def test_api_errors_stay_problem_json(client: TestClient) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
