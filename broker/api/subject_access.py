"""Subject access exports for information governance, to review before release."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, JSONResponse

from broker.auth import Principal, Role, require_roles
from broker.platform.db import SessionDep
from broker.records.encryption.service import RecordEncryptionDep
from broker.records.subject_access import audit_export, render_report, subject_access_export

router = APIRouter(prefix="/api/v1", tags=["subject access"])
InformationGovernance = Annotated[Principal, Depends(require_roles(Role.ig_auditor))]


@router.get(
    "/subjects/{subject_id}/subject-access-export",
    responses={200: {"content": {"text/html": {}}, "description": "The export (JSON, or HTML with format=html)."},
               404: {"description": "No such child or young person."}},
)
def subject_access(
    subject_id: uuid.UUID, caller: InformationGovernance, session: SessionDep, encryption: RecordEncryptionDep,
    format: Annotated[Literal["json", "html"], Query(description="json (default) or a readable html report")] = "json",
) -> Any:
    """Everything the broker holds about a child: identifiers and links, related adults,
    permissions with their full history, requests and answers, assessments, gathered items
    (erased ones listed as destroyed) and the whole access history.  For IG to review before
    release; the export itself is audited."""
    export = subject_access_export(session, encryption, subject_id)
    audit_export(session, subject_id, by=caller, export=export, fmt=format)
    headers = {"Cache-Control": "no-store"}
    if format == "html":
        return HTMLResponse(render_report(export), headers=headers)
    return JSONResponse(export, headers=headers)
