"""The form toolkit: forged posts are refused; errors read as the design system prescribes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.responses import HTMLResponse, PlainTextResponse
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from jinja2 import ChoiceLoader, FileSystemLoader

from broker.web.forms import FormState, VerifiedForm, render_form_page, verified_form

TEMPLATES = Path(__file__).parent / "templates"
_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


@pytest.fixture
def form_app(app: FastAPI) -> FastAPI:
    """The broker with one form page, as later pages will build them."""
    env = app.state.templates.env
    env.loader = ChoiceLoader([FileSystemLoader(str(TEMPLATES)), env.loader])

    @app.get("/example", response_class=HTMLResponse)
    def show(request: Request) -> HTMLResponse:
        return render_form_page(request, "example_form.html", FormState())

    @app.post("/example", response_class=HTMLResponse)
    def send(request: Request, form: VerifiedForm) -> HTMLResponse:
        state = FormState.from_form(form)
        name = state.read_text("name", missing="Enter the child's name")
        born = state.read_date("dob", label="Date of birth")
        if state.has_errors:
            return render_form_page(request, "example_form.html", state)
        return PlainTextResponse(f"{name} {born.isoformat() if born else ''}")

    return app


@pytest.fixture
def browser(form_app: FastAPI) -> Iterator[TestClient]:
    # Over HTTPS: outside development the session cookie is Secure, so a browser sends it back
    # over HTTPS only.
    with TestClient(form_app, base_url="https://testserver") as client:
        yield client


def _token(client: TestClient) -> str:
    match = _TOKEN.search(client.get("/example").text)
    assert match
    return match.group(1)


VALID = {"name": "Amelia Clarke", "dob-day": "14", "dob-month": "3", "dob-year": "2016"}


def test_a_form_with_its_token_is_accepted(browser: TestClient) -> None:
    response = browser.post("/example", data={**VALID, "form_token": _token(browser)})
    assert response.status_code == 200
    assert response.text == "Amelia Clarke 2016-03-14"


def test_a_form_without_a_token_is_refused(browser: TestClient) -> None:
    _token(browser)
    response = browser.post("/example", data=VALID)
    assert response.status_code == 403
    assert "This form could not be sent" in response.text
    assert "Amelia" not in response.text


def test_a_token_from_another_session_is_refused(form_app: FastAPI) -> None:
    with TestClient(form_app) as attacker, TestClient(form_app) as victim:
        token = _token(attacker)
        _token(victim)
        response = victim.post("/example", data={**VALID, "form_token": token})
    assert response.status_code == 403


def test_a_tampered_token_is_refused(browser: TestClient) -> None:
    token = _token(browser)
    response = browser.post("/example", data={**VALID, "form_token": token[:-2] + "xx"})
    assert response.status_code == 403


def test_a_token_signed_with_another_secret_is_refused(form_app: FastAPI, browser: TestClient) -> None:
    from itsdangerous import URLSafeTimedSerializer

    _token(browser)
    forged = URLSafeTimedSerializer("guessed-secret", salt="broker.web.form-token").dumps("anything")
    assert browser.post("/example", data={**VALID, "form_token": forged}).status_code == 403


@pytest.mark.parametrize("headers", [
    {"Origin": "https://evil.example"},
    {"Origin": "null"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},
])
def test_a_cross_site_post_is_refused_even_with_a_token(browser: TestClient, headers: dict[str, str]) -> None:
    response = browser.post("/example", data={**VALID, "form_token": _token(browser)}, headers=headers)
    assert response.status_code == 403
    assert response.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("headers", [
    {"Origin": "https://testserver", "Sec-Fetch-Site": "same-origin"},
    {"Origin": "http://127.0.0.1:8000"},  # the configured public address
])
def test_a_same_origin_post_is_accepted(browser: TestClient, headers: dict[str, str]) -> None:
    response = browser.post("/example", data={**VALID, "form_token": _token(browser)}, headers=headers)
    assert response.status_code == 200


def test_api_calls_are_not_subject_to_the_form_checks(browser: TestClient) -> None:
    response = browser.post("/api/v1/anything", headers={"Origin": "https://elsewhere.example"})
    assert response.status_code in (404, 405)


def test_errors_are_summarised_and_shown_at_each_field(browser: TestClient) -> None:
    token = _token(browser)
    response = browser.post("/example", data={"name": "  ", "dob-day": "31", "dob-month": "2", "dob-year": "2016",
                                               "form_token": token})
    assert response.status_code == 422
    page = response.text
    assert "<title>Error: " in page
    assert 'class="govuk-error-summary"' in page
    assert '<a href="#name">Enter the child&#39;s name</a>' in page
    assert '<a href="#dob-day">Date of birth must be a real date</a>' in page
    assert page.index("govuk-error-summary") < page.index('id="name"')
    assert 'id="name-error"' in page and 'govuk-input--error' in page
    assert 'value="31"' in page  # what was typed is kept


def test_the_form_toolkit_guards_every_page_form_route(form_app: FastAPI) -> None:
    """Any route that accepts a posted page form must use VerifiedForm."""

    def uses_verified_form(dependant: Dependant) -> bool:
        return any(d.call is verified_form or uses_verified_form(d) for d in dependant.dependencies)

    def unguarded(app: FastAPI) -> list[str]:
        return [
            route.path for route in app.routes
            if isinstance(route, APIRoute) and not route.path.startswith(("/api/", "/oidc/"))
            and route.methods & {"POST", "PUT", "PATCH", "DELETE"} and not uses_verified_form(route.dependant)
        ]

    assert unguarded(form_app) == []

    @form_app.post("/forgot-the-token")
    def forgot() -> None:
        return None

    assert unguarded(form_app) == ["/forgot-the-token"]


# --- reading fields --------------------------------------------------------------------------


def _date(day: str, month: str, year: str) -> FormState:
    return FormState({"dob-day": day, "dob-month": month, "dob-year": year})


@pytest.mark.parametrize(("day", "month", "year", "message", "anchor", "parts"), [
    ("", "", "", "Enter date of birth", "dob-day", ("day", "month", "year")),
    ("1", "", "2016", "Date of birth must include a month", "dob-month", ("month",)),
    ("", "", "2016", "Date of birth must include a day and month", "dob-day", ("day", "month")),
    ("30", "2", "2016", "Date of birth must be a real date", "dob-day", ("day", "month", "year")),
    ("1", "13", "2016", "Date of birth must be a real date", "dob-day", ("day", "month", "year")),
    ("1", "1", "16", "Date of birth must be a real date", "dob-day", ("day", "month", "year")),
    ("a", "1", "2016", "Date of birth must be a real date", "dob-day", ("day", "month", "year")),
])
def test_date_errors(day: str, month: str, year: str, message: str, anchor: str, parts: tuple[str, ...]) -> None:
    state = _date(day, month, year)
    assert state.read_date("dob", label="Date of birth") is None
    error = state.errors["dob"]
    assert (error.message, error.anchor, error.parts) == (message, anchor, parts)
    marked = [item["name"] for item in state.date_items("dob") if "govuk-input--error" in item["classes"]]
    assert tuple(marked) == parts


def test_a_date_in_the_future_is_refused() -> None:
    tomorrow = date.today() + timedelta(days=1)
    state = _date(str(tomorrow.day), str(tomorrow.month), str(tomorrow.year))
    assert state.read_date("dob", label="Date of birth") is None
    assert state.errors["dob"].message == "Date of birth must be in the past"


def test_an_optional_empty_date_is_no_error() -> None:
    state = _date("", "", "")
    assert state.read_date("dob", label="Date of birth", required=False) is None
    assert not state.has_errors


def test_a_real_date_with_spaces_is_read() -> None:
    state = _date(" 09 ", "7", "2014")
    assert state.read_date("dob", label="Date of birth") == date(2014, 7, 9)
    assert not state.has_errors


def test_text_is_trimmed_and_limited() -> None:
    state = FormState({"name": "  Leo   Walsh ", "long": "x" * 201})
    assert state.read_text("name", missing="Enter a name") == "Leo Walsh"
    state.read_text("long", missing="Enter it")
    assert state.errors["long"].message == "Must be 200 characters or fewer"
    state.add_error("long", "a second error is not shown")
    assert state.error_list() == [{"text": "Must be 200 characters or fewer", "href": "#long"}]
