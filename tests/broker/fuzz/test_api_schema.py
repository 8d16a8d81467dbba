"""The API, fuzzed from its own OpenAPI description with Schemathesis, as each role.

For every operation and every role, generated requests (valid ones, aimed at the demo data's
real ids half of the time, and invalid ones) must never get a server error, every answer must
match the documented status codes, media types and bodies, and no request may change data
without its audit entry: a refusal changes nothing, and a change always comes with at least
one new entry in the audit log.

Bounded and reproducible: a fixed number of examples per operation, derandomised.
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine, func, select

from broker.accounts.models import OutboxMessage
from broker.auth import Role
from broker.dev.demo import USERS
from broker.platform.db import SessionDep
from broker.platform.migrate import TARGET_METADATA
from tests.broker.api.test_endpoint_access import endpoints
from tests.broker.known_ids import known_ids

# One account of each role (and the EP service, whose caseworkers alone file paper reports).
ACCOUNTS = {
    "family": "sarah.clarke",
    "caseworker": "sen.caseworker",
    "ep_caseworker": "ep.psychologist",
    "safeguarding_lead": "safeguarding.lead",
    "ig_auditor": "ig.auditor",
    "admin": "admin",
    "system": "education.system",
}
# Examples per operation the role is admitted to: documented, valid, invalid.  An operation the
# role is refused gets a few valid requests, which must be refused without changing anything.
# BROKER_FUZZ_SCALE multiplies them for a deeper run by hand (CI runs the default, 1).
SCALE = int(os.environ.get("BROKER_FUZZ_SCALE", "1"))
EXAMPLES = {"examples": 3 * SCALE, "positive": 6 * SCALE, "negative": 3 * SCALE}
EXAMPLES_WHEN_REFUSED = {"positive": 2 * SCALE}
# Every role on SQLite; on PostgreSQL (when the tests have a server) the roles that write most.
ROLES_AND_BACKENDS = [
    *((role, "sqlite") for role in ACCOUNTS),
    pytest.param("caseworker", "postgresql", marks=pytest.mark.postgres),
]
POSITIVE_CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
NEGATIVE_CHECKS = [*POSITIVE_CHECKS, negative_data_rejection]
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# The audit log's own tables: appending an entry is what the property looks for, not a change.
AUDIT_TABLES = {"audit_entries", "audit_sequence", "audit_tree_state", "audit_tree_nodes", "audit_checkpoints"}


TABLES = {t.name: t for metadata in TARGET_METADATA for t in metadata.sorted_tables}
DATA_TABLES = sorted(set(TABLES) - AUDIT_TABLES)


@dataclass
class Snapshot:
    audit_entries: int
    tables: dict[str, str]

    @classmethod
    def take(cls, engine: Engine) -> Snapshot:
        digests = {}
        with engine.connect() as connection:
            entries = connection.execute(select(func.count()).select_from(TABLES["audit_entries"])).scalar_one()
            for name in DATA_TABLES:
                rows = sorted(repr(tuple(row)) for row in connection.execute(select(TABLES[name])))
                digests[name] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
        return cls(entries, digests)

    def changed_tables(self, later: Snapshot) -> list[str]:
        return [name for name, digest in self.tables.items() if later.tables[name] != digest]


@dataclass
class Figures:
    operations: int = 0
    admitted: int = 0
    examples: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    audited_changes: int = 0
    failures: list[str] = field(default_factory=list)


def _has_inputs(operation) -> bool:  # type: ignore[no-untyped-def]
    return any(True for _ in operation.iter_parameters()) or bool(operation.body)


@dataclass(frozen=True)
class Run:
    """One way of generating requests for an operation: its name, strategy, size and checks."""

    name: str
    strategy: st.SearchStrategy  # type: ignore[type-arg]
    examples: int
    checks: list
    known_ids: float  # how often path parameters are aimed at existing rows


def runs_of(operation, sizes: dict[str, int]) -> list[Run]:  # type: ignore[no-untyped-def]
    """The documented examples (aimed at real rows), valid data and invalid data, as many as ``sizes`` says."""
    runs = []
    documented = operation.get_strategies_from_examples()
    if documented and sizes.get("examples"):
        runs.append(Run("examples", st.one_of(documented), sizes["examples"], POSITIVE_CHECKS, 1.0))
    if sizes.get("positive"):
        runs.append(Run("positive", operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
                        sizes["positive"], POSITIVE_CHECKS, 0.5))
    if _has_inputs(operation) and sizes.get("negative"):
        runs.append(Run("negative", operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
                        sizes["negative"], NEGATIVE_CHECKS, 0.0))
    return runs


def _admitted(app: FastAPI, role: Role | None) -> set[tuple[str, str]]:
    """The (METHOD, path) of the operations ``role`` may call (None: all of them)."""
    return {(e.method, e.path) for e in endpoints(app) if role is None or e.roles is None or role in e.roles}


def fuzz_operation(
    operation, run: Run, app: FastAPI, headers: dict[str, str],  # type: ignore[no-untyped-def]
    engine: Engine, known: dict[str, list[str]], figures: Figures,
) -> None:
    """Sends ``run``'s requests as the holder of ``headers``; adds what fails to ``figures``."""
    latest: list[Snapshot] = []

    @settings(max_examples=run.examples, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    @given(case=run.strategy, data=st.data())
    def check(case, data) -> None:  # type: ignore[no-untyped-def]
        if run.known_ids:
            for name in list(case.path_parameters or {}):
                aim = run.known_ids == 1.0 or data.draw(st.booleans(), label=f"known {name}")
                if known.get(name) and aim:
                    case.path_parameters[name] = data.draw(st.sampled_from(known[name]), label=name)
        # The data as the previous example left it (nothing else writes between examples).
        before = latest.pop() if latest else Snapshot.take(engine)
        response = case.call(app=app, headers=headers)
        figures.examples += 1
        figures.statuses[response.status_code] = figures.statuses.get(response.status_code, 0) + 1
        case.validate_response(response, checks=run.checks, headers=headers)
        after = Snapshot.take(engine)
        latest.append(after)
        changed = before.changed_tables(after)
        where = f"{case.method} {case.formatted_path} -> {response.status_code}"
        if response.status_code >= 400 or case.method in SAFE_METHODS:
            assert not changed, f"{where} changed {changed}"
        if changed:
            figures.audited_changes += 1
            assert after.audit_entries > before.audit_entries, f"{where} changed {changed} without an audit entry"

    try:
        check()
    except Unsatisfiable:
        figures.failures.append(f"{operation.method.upper()} {operation.path} ({run.name}): no example generated")
    except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001 - all failures are reported at the end
        figures.failures.append(f"{operation.method.upper()} {operation.path} ({run.name}): "
                                f"{type(error).__name__}: {str(error)[:2000]}")


def fuzz(
    app: FastAPI, headers: dict[str, str], role: Role | None = None, only: Callable[[str], bool] = lambda path: True,
) -> Figures:
    """Every operation of ``app``'s API (or those whose path ``only`` admits), every run; fewer
    for the operations ``role`` is refused."""
    app.openapi_schema = None
    admitted = _admitted(app, role)
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    # Every request carries the caller's real bearer token (``headers``): the Authorization header
    # the document declares is not a parameter to generate, nor to break in the negative runs.
    schema.config.generation.update(with_security_parameters=False)
    engine = app.state.database.engine
    known = known_ids(engine)
    figures = Figures()
    for result in schema.get_all_operations():
        operation = result.ok()
        if not only(operation.path):
            continue
        figures.operations += 1
        is_admitted = (operation.method.upper(), operation.path) in admitted
        figures.admitted += is_admitted
        for run in runs_of(operation, EXAMPLES if is_admitted else EXAMPLES_WHEN_REFUSED):
            fuzz_operation(operation, run, app, headers, engine, known, figures)
    return figures


@pytest.mark.slow
@pytest.mark.parametrize(("role", "database_url"), ROLES_AND_BACKENDS, indirect=["database_url"])
def test_the_api_holds_its_contract_for_each_role(
    role: str, app: FastAPI, auth_headers: Callable[[str], dict[str, str]], capsys: pytest.CaptureFixture[str],
) -> None:
    started = time.monotonic()
    account = next(u for u in USERS if u.username == ACCOUNTS[role])
    figures = fuzz(app, auth_headers(account.username), Role(account.role))
    with capsys.disabled():
        print(f"\n[schemathesis] {app.state.settings.database_url.split(':')[0]} role={role}: "
              f"{figures.operations} operations ({figures.admitted} admitted), {figures.examples} requests, "
              f"{figures.audited_changes} changes (each audited), statuses {dict(sorted(figures.statuses.items()))}, "
              f"{len(figures.failures)} failing runs, {time.monotonic() - started:.0f} s")
    assert figures.operations >= 50
    assert not figures.failures, "\n\n".join(figures.failures)


def test_the_checks_catch_an_unaudited_change_a_server_error_and_an_undocumented_answer(
    app: FastAPI, auth_headers: Callable[[str], dict[str, str]],
) -> None:
    """The fuzzing above can fail: three deliberately broken operations, each caught."""
    @app.post("/api/v1/broken/unaudited", status_code=201)
    def unaudited(session: SessionDep) -> dict[str, str]:
        session.add(OutboxMessage(id=uuid.uuid4(), template="t", subject_line="s", body="b"))
        return {"status": "written"}

    @app.get("/api/v1/broken/crash")
    def crash() -> dict[str, str]:
        raise RuntimeError("boom")

    @app.get("/api/v1/broken/undocumented", response_model=None)
    def undocumented() -> JSONResponse:
        return JSONResponse({"unexpected": True}, status_code=299)

    figures = fuzz(app, auth_headers("sen.caseworker"), only=lambda path: path.startswith("/api/v1/broken/"))
    assert figures.operations == 3
    report = "\n".join(figures.failures)
    assert "POST /api/v1/broken/unaudited (positive)" in report and "without an audit entry" in report
    assert "GET /api/v1/broken/crash (positive)" in report and "RuntimeError: boom" in report
    assert "GET /api/v1/broken/undocumented (positive)" in report and "Undocumented status code" in report
