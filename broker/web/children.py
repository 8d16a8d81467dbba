"""Staff pages for finding a child: by name and date of birth, or by NHS number or UPN."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from broker.auth.principal import Principal, Role
from broker.auth.sessions import require_web_roles
from broker.identity.children.service import normalise_identifier, search_children
from broker.platform.db import SessionDep
from broker.web.forms import FormState, VerifiedForm, render_form_page

router = APIRouter(prefix="/children", include_in_schema=False)

Staff = Annotated[Principal, Depends(require_web_roles(Role.caseworker, Role.safeguarding_lead))]
TEMPLATE = "children/find.html"


@router.get("/find", response_class=HTMLResponse)
def find_form(request: Request, caller: Staff) -> HTMLResponse:
    """The search form."""
    return render_form_page(request, TEMPLATE, FormState(), {"results": None})


@router.post("/find", response_class=HTMLResponse)
def find(request: Request, caller: Staff, form: VerifiedForm, session: SessionDep) -> HTMLResponse:
    """Search: an identifier on its own, or a name with a date of birth.

    Posted rather than put in the address, so that names, dates of birth and NHS numbers stay
    out of browser history and of any proxy's logs.
    """
    state = FormState.from_form(form)
    typed_identifier = state.read_text("identifier", max_length=30, too_long="Identifier must be 30 characters or fewer")
    identifier = None
    born = None
    if typed_identifier:
        identifier = normalise_identifier(typed_identifier)
        if identifier is None:
            state.add_error(
                "identifier",
                "Enter an NHS number (10 digits) or a unique pupil number (13 characters, starting with a letter)",
            )
    else:
        state.read_text("name", missing="Enter the child's name, or search by an identifier", max_length=100,
                        too_long="Name must be 100 characters or fewer")
        born = state.read_date("dob", label="Date of birth")
    if state.has_errors:
        return render_form_page(request, TEMPLATE, state, {"results": None})
    results = search_children(session, caller, name=state.value("name"), born=born, identifier=identifier)
    return render_form_page(request, TEMPLATE, state, {"results": results})
