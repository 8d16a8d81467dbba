"""Pages anyone may read without signing in: the start page, privacy and accessibility."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)


def _page(request: Request, template: str) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(request, template, {})


@router.get("/", response_class=HTMLResponse)
def start(request: Request) -> HTMLResponse:
    """The start page: what the service is for, for families and for staff."""
    return _page(request, "start.html")


@router.get("/privacy", response_class=HTMLResponse)
def privacy(request: Request) -> HTMLResponse:
    """How the council uses the information this service handles."""
    return _page(request, "privacy.html")


@router.get("/accessibility", response_class=HTMLResponse)
def accessibility(request: Request) -> HTMLResponse:
    """The accessibility statement."""
    return _page(request, "accessibility.html")
