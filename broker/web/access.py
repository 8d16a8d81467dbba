"""Who is signed in to the pages, and which pages their role opens.

Sign-in for the pages fills one slot: ``app.state.web_principal``, a function from the request to
the signed-in ``Principal`` (or ``None``), with ``app.state.sign_in_url`` and
``app.state.sign_out_url`` for the header's links.  Until it is installed nobody is signed in, so
every page that needs a role answers "You need to sign in".
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from broker.auth.principal import Principal

PrincipalResolver = Callable[[Request], Principal | None]


def nobody_signed_in(request: Request) -> Principal | None:
    return None


def signed_in(request: Request) -> Principal | None:
    """The person signed in to the pages, if anyone."""
    cached = getattr(request.state, "web_principal", None)
    if cached is not None:
        return cached
    resolver: PrincipalResolver = getattr(request.app.state, "web_principal", nobody_signed_in)
    principal = resolver(request)
    request.state.web_principal = principal
    return principal
