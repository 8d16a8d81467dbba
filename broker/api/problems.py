"""The API description of errors: every ``/api/`` operation may answer a 4xx problem.

The error handler in ``broker.platform.errors`` answers every API error as RFC 9457
``application/problem+json``; this makes the OpenAPI document say so, so that clients (and the
schema-driven tests) know the shape of a refusal as well as of a success.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI

from broker.platform.errors import PROBLEM_JSON

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem: what went wrong, in words a person can act on.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": ["string", "null"]},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["location", "message"],
                "properties": {"location": {"type": "array", "items": {"type": "string"}},
                               "message": {"type": "string"}},
            },
        },
    },
}
_PROBLEM_CONTENT = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
_ANY_CLIENT_ERROR = {
    "description": "The request was refused: not signed in (401), not allowed (403), not found (404), "
                   "in conflict with the current state (409), too large (413), not valid (422) or too many (429).",
    "content": _PROBLEM_CONTENT,
}


def describe_problems(openapi: dict[str, Any]) -> dict[str, Any]:
    """Give every API operation's error responses the problem body, and a 4XX answer."""
    schemas = openapi.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    for path, item in openapi.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            for code, response in responses.items():
                if code.startswith("4") or code.startswith("5"):
                    response["content"] = _PROBLEM_CONTENT
                    if code == "422":
                        response["description"] = "The request is not valid: each error names its field."
            responses.setdefault("4XX", _ANY_CLIENT_ERROR)
    for name in ("HTTPValidationError", "ValidationError"):
        schema = schemas.pop(name, None)
        if schema is not None and f"#/components/schemas/{name}" in json.dumps(openapi):
            schemas[name] = schema
    return openapi


def install_problem_descriptions(app: FastAPI) -> None:
    """Make ``app.openapi()`` describe the problem responses (once, on first use)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = describe_problems(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
