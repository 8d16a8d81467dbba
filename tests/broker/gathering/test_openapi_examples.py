"""The issue's HTTP API is documented: every request body has an example that the body's own
model accepts, and the gather's answer has one too."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from broker.assessments.schemas import AdviceRequestCreate, AssessmentCreate, CaseOfficerChange
from broker.break_glass.schemas import BreakGlassCreate, BreakGlassReviewCreate
from broker.gathering.schemas import GatherRead, GatherRequest, RecordRequestCreate

BODIES = [
    ("post", "/api/v1/assessments", AssessmentCreate),
    ("post", "/api/v1/assessments/{assessment_id}/advice-requests", AdviceRequestCreate),
    ("post", "/api/v1/assessments/{assessment_id}/case-officer", CaseOfficerChange),
    ("post", "/api/v1/assessments/{assessment_id}/gather", GatherRequest),
    ("post", "/api/v1/record-requests", RecordRequestCreate),
    ("post", "/api/v1/break-glass", BreakGlassCreate),
    ("post", "/api/v1/break-glass/reviews/{access_id}", BreakGlassReviewCreate),
]


@pytest.fixture
def schema(client: TestClient) -> dict:
    return client.get("/api/openapi.json").json()


def _resolve(schema: dict, ref: dict) -> dict:
    return schema["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]


@pytest.mark.parametrize(("method", "path", "model"), BODIES)
def test_each_request_body_has_examples_its_model_accepts(schema: dict, method: str, path: str, model: type) -> None:
    operation = schema["paths"][path][method]
    assert operation.get("description"), f"{path} has no description"
    body = _resolve(schema, operation["requestBody"]["content"]["application/json"]["schema"])
    assert body["examples"], path
    for example in body["examples"]:
        model.model_validate(example)


@pytest.mark.parametrize("path", ["/api/v1/assessments", "/api/v1/assessments/{assessment_id}",
                                  "/api/v1/assessments/{assessment_id}/bundle", "/api/v1/break-glass/reviews"])
def test_the_reading_endpoints_are_documented(schema: dict, path: str) -> None:
    assert schema["paths"][path]["get"].get("description"), path


def test_the_gather_answer_has_an_example_its_model_accepts(schema: dict) -> None:
    operation = schema["paths"]["/api/v1/assessments/{assessment_id}/gather"]["post"]
    answer = _resolve(schema, operation["responses"]["200"]["content"]["application/json"]["schema"])
    [published] = answer["examples"]
    assert published["missing_permission"]["categories"] == ["SC_ASSESSMENT"]
    # The published schema leaves out null values; the model's own example carries them.
    [example] = GatherRead.model_json_schema()["examples"]
    parsed = GatherRead.model_validate(example)
    assert parsed.missing_permission is not None and parsed.sources[0].released[0].provenance.basis == "permission"
