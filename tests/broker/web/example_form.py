"""A page built with the form toolkit as later pages will be, for the tests of the toolkit (with
the test client and in the browser)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import ChoiceLoader, FileSystemLoader

from broker.web.forms import FormState, VerifiedForm, render_form_page

TEMPLATES = Path(__file__).parent / "templates"
RECEIVED = "x-example-received"


def add_example_form(app: FastAPI) -> None:
    """``/example``: a name and a date of birth; when both are right, back to the start page."""
    env = app.state.templates.env
    env.loader = ChoiceLoader([FileSystemLoader(str(TEMPLATES)), env.loader])

    @app.get("/example", response_class=HTMLResponse)
    def show(request: Request) -> HTMLResponse:
        return render_form_page(request, "example_form.html", FormState())

    @app.post("/example", response_model=None)
    def send(request: Request, form: VerifiedForm) -> HTMLResponse | RedirectResponse:
        state = FormState.from_form(form)
        name = state.read_text("name", missing="Enter the child's name")
        born = state.read_date("dob", label="Date of birth")
        if state.has_errors or born is None:
            return render_form_page(request, "example_form.html", state)
        return RedirectResponse("/", status_code=303, headers={RECEIVED: f"{name} {born.isoformat()}"})
