"""What every simulator shares: an OAuth 2.0 token endpoint, bearer checks, the fault switches
tests drive (latency, errors, malformed and oversized answers), and a log of the request headers
that say why each fetch happened."""

from __future__ import annotations

import asyncio
import base64
import hmac
import secrets
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

import jellyfish
from fastapi import Depends, FastAPI, Form, Header, HTTPException, Request, Response
from pydantic import BaseModel, Field

from adapters.identity import normalise_name

DEVELOPMENT_CLIENT_ID = "broker"
DEVELOPMENT_CLIENT_SECRET = "simulator-development-secret"  # nosec B105  # the simulators' development credential, refused in production
TOKEN_LIFETIME = 3600


@dataclass(frozen=True)
class SimulatorCredentials:
    client_id: str = DEVELOPMENT_CLIENT_ID
    client_secret: str = DEVELOPMENT_CLIENT_SECRET


class Switches(BaseModel):
    """Faults a test or a demonstrator can switch on."""

    latency_ms: int = Field(0, ge=0, le=60_000)
    fail_status: int | None = Field(None, ge=400, le=599)
    fail_times: int | None = Field(None, ge=0, description="fail this many requests, then recover")
    malformed: bool = False
    oversized_bytes: int = Field(0, ge=0, le=50_000_000)
    active_pdf: bool = Field(False, description="serve documents as PDFs that run JavaScript on opening")


@dataclass
class SimulatorState:
    credentials: SimulatorCredentials
    switches: Switches = field(default_factory=Switches)
    tokens: dict[str, float] = field(default_factory=dict)
    access_log: list[dict[str, str | None]] = field(default_factory=list)
    token_requests: int = 0
    data_requests: int = 0


def state_of(request: Request) -> SimulatorState:
    return request.app.state.simulator


def _client_from_request(authorization: str | None, client_id: str | None, client_secret: str | None) -> tuple[str, str]:
    if authorization and authorization.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(authorization[6:]).decode()
        except ValueError:
            return "", ""
        user, _, password = decoded.partition(":")
        from urllib.parse import unquote

        return unquote(user), unquote(password)
    return client_id or "", client_secret or ""


def control_allowed(request: Request, x_simulator_control: Annotated[str | None, Header()] = None) -> SimulatorState:
    """Control actions (switches, the access log, releases) need the simulator's client secret."""
    state = state_of(request)
    if not x_simulator_control or not hmac.compare_digest(
            x_simulator_control.encode(), state.credentials.client_secret.encode()):
        raise HTTPException(403, detail="control needs the X-Simulator-Control header")
    return state


Control = Annotated[SimulatorState, Depends(control_allowed)]


def install_common(app: FastAPI, credentials: SimulatorCredentials) -> None:
    """Token endpoint, health, control switches and the access log, on ``app``."""
    app.state.simulator = SimulatorState(credentials)

    @app.post("/oauth/token", tags=["auth"])
    def token(
        request: Request,
        grant_type: Annotated[str, Form()],
        authorization: Annotated[str | None, Header()] = None,
        client_id: Annotated[str | None, Form()] = None,
        client_secret: Annotated[str | None, Form()] = None,
    ) -> dict[str, Any]:
        """OAuth 2.0 client credentials grant (RFC 6749 section 4.4)."""
        state = state_of(request)
        state.token_requests += 1
        if grant_type != "client_credentials":
            raise HTTPException(400, detail="unsupported_grant_type")
        cid, secret = _client_from_request(authorization, client_id, client_secret)
        good = hmac.compare_digest(cid.encode(), state.credentials.client_id.encode()) and hmac.compare_digest(
            secret.encode(), state.credentials.client_secret.encode())
        if not good:
            raise HTTPException(401, detail="invalid_client")
        access_token = secrets.token_urlsafe(32)
        state.tokens[access_token] = time.time() + TOKEN_LIFETIME
        return {"access_token": access_token, "token_type": "Bearer", "expires_in": TOKEN_LIFETIME}  # nosec B105  # the OAuth token type, not a secret

    @app.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        """Whether the simulator is up."""
        return {"status": "ok"}

    @app.get("/_control", tags=["control"])
    def get_switches(state: Annotated[SimulatorState, Depends(control_allowed)]) -> Switches:
        """The fault switches now in force."""
        return state.switches

    @app.put("/_control", tags=["control"])
    def set_switches(switches: Switches, state: Annotated[SimulatorState, Depends(control_allowed)]) -> Switches:
        """Switch faults on or off (send all zeros / nulls to switch them off)."""
        state.switches = switches
        return switches

    @app.get("/_control/access-log", tags=["control"])
    def access_log(state: Annotated[SimulatorState, Depends(control_allowed)]) -> dict[str, Any]:
        """The reason headers of every data request so far, and how many token requests came."""
        return {"requests": state.access_log, "token_requests": state.token_requests}


async def authorised_system(request: Request, authorization: Annotated[str | None, Header()] = None) -> SimulatorState:
    """Check the bearer token, record why the request came, and apply the fault switches."""
    state = state_of(request)
    token = authorization[7:] if authorization and authorization.lower().startswith("bearer ") else None
    expiry = state.tokens.get(token or "")
    if expiry is None or expiry < time.time():
        raise HTTPException(401, detail="invalid_token", headers={"WWW-Authenticate": "Bearer"})
    state.data_requests += 1
    state.access_log.append({
        "path": request.url.path,
        "purpose": request.headers.get("x-purpose"),
        "case_reference": request.headers.get("x-case-reference"),
        "consent_ids": request.headers.get("x-consent-ids"),
        "requesting_user": request.headers.get("x-requesting-user"),
        "request_id": request.headers.get("x-request-id"),
    })
    del state.access_log[:-1000]
    switches = state.switches
    if switches.latency_ms:
        await asyncio.sleep(switches.latency_ms / 1000)
    if switches.fail_status is not None and (switches.fail_times is None or switches.fail_times > 0):
        if switches.fail_times is not None:
            switches.fail_times -= 1
        raise HTTPException(switches.fail_status, detail="simulated failure")
    return state


System = Annotated[SimulatorState, Depends(authorised_system)]


def answer(state: SimulatorState, body: bytes, media_type: str) -> Response:
    """The body as the switches want it: intact, malformed, or padded past any sane size."""
    switches = state.switches
    if switches.malformed:
        body = body[: max(1, len(body) // 2)] + b"\x00<<garbled"
    if switches.oversized_bytes:
        body = body + b" " * switches.oversized_bytes
    return Response(content=body, media_type=media_type)


class SearchRequest(BaseModel):
    """A person search: an identifier, or a date of birth with or without names."""

    nhs_number: str | None = Field(None, max_length=20)
    upn: str | None = Field(None, max_length=20)
    given_name: str | None = Field(None, max_length=100)
    family_name: str | None = Field(None, max_length=100)
    date_of_birth: date | None = None


def search_matches(query: SearchRequest, *, nhs: str | None, upn: str | None, given: str,
                   family: str, dob: date | None) -> bool:
    """How the simulated systems search: an exact identifier, the date of birth (or its
    day-month swap), or a family name that sounds alike with the same year of birth."""
    if query.nhs_number and nhs and query.nhs_number.replace(" ", "") == nhs:
        return True
    if query.upn and upn and query.upn.strip().upper() == upn:
        return True
    if query.date_of_birth is None or dob is None:
        return False
    wanted = query.date_of_birth
    if dob == wanted or (dob.year == wanted.year and dob.day == wanted.month and dob.month == wanted.day):
        return True
    if query.family_name and dob.year == wanted.year:
        a, b = normalise_name(query.family_name), normalise_name(family)
        return bool(a and b) and jellyfish.metaphone(a) == jellyfish.metaphone(b)
    return False
