"""The OpenAPI document says which operations need a bearer token: every operation behind a role
has the bearer security scheme, and every public one says it needs none (an empty list)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from broker.auth.dependencies import admitted_roles


def _needs_a_role(route: Any) -> bool:
    pending = list(route.dependant.dependencies)
    while pending:
        dependency = pending.pop()
        if dependency.call is not None and admitted_roles(dependency.call) is not None:
            return True
        pending.extend(dependency.dependencies)
    return False


def test_every_protected_operation_declares_the_bearer_scheme(app: FastAPI) -> None:
    document = app.openapi()
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": document["components"]["securitySchemes"]["bearer"]["description"],
    }
    checked = 0
    for route in iter_route_contexts(app.routes):
        if getattr(route, "dependant", None) is None or not getattr(route, "include_in_schema", False):
            continue
        path = getattr(route, "path_format", route.path)
        for method in route.methods or ():
            if path not in document["paths"] or method.lower() not in document["paths"][path]:
                continue
            operation = document["paths"][path][method.lower()]
            if _needs_a_role(route):
                assert operation.get("security") == [{"bearer": []}], f"{method} {path}"
                checked += 1
            else:
                assert operation.get("security") == [], f"{method} {path} is public and must say so"
    assert checked > 40
