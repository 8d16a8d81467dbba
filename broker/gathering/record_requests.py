"""A plain record request (for a purpose other than a case): who may make one, and for whom."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from broker.assessments import lookups
from broker.auth import Principal
from broker.gathering.repository import organisation_kind
from broker.gathering.service import check_purpose
from broker.permissions.purposes import Purpose
from broker.platform.db import release_connection


def admit_record_request(session: Session, caller: Principal, subject_id: uuid.UUID, purpose: Purpose) -> None:
    """Refuse a purpose the caller's organisation may not act for (Forbidden) or an unknown child
    (NotFound); then end the request's transaction so far, as the gather runs transactions of its own."""
    check_purpose(caller, organisation_kind(session, caller.organisation_id), purpose)
    lookups.child(session, subject_id, missing="No such child or young person.")
    release_connection(session)
