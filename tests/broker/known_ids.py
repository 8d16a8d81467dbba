"""Ids of rows that exist, by the name routes give their path parameters: tests that walk the
routes use them to reach real pages and answers rather than only "not found"."""

from __future__ import annotations

import uuid

from sqlalchemy import Engine, text

KNOWN_IDS = {
    "subject_id": "SELECT id FROM people WHERE is_subject",
    "person_id": "SELECT id FROM people",
    "consent_id": "SELECT id FROM consents",
    "request_id": "SELECT id FROM consent_requests",
    "assessment_id": "SELECT id FROM assessments",
    "advice_request_id": "SELECT id FROM advice_requests",
    "exception_id": "SELECT id FROM clock_exceptions",
    "link_id": "SELECT id FROM identity_links",
    "access_id": "SELECT id FROM break_glass_accesses",
    "seq": "SELECT seq FROM audit_entries",
}


def known_ids(engine: Engine) -> dict[str, list[str]]:
    """Every existing id for each path parameter name, sorted (UUIDs in their canonical form)."""
    known = {}
    with engine.connect() as connection:
        for name, query in KNOWN_IDS.items():
            values = connection.scalars(text(query))
            known[name] = sorted(str(v) if name == "seq" else str(uuid.UUID(str(v))) for v in values)
    return known


def ids_of_subject(engine: Engine, subject_id: uuid.UUID) -> dict[str, str]:
    """One id per path parameter, about ``subject_id`` where the row belongs to a subject."""
    chosen = {name: values[0] for name, values in known_ids(engine).items() if values}
    chosen["subject_id"] = str(subject_id)
    with engine.connect() as connection:
        for name, table in (("consent_id", "consents"), ("request_id", "consent_requests")):
            row = connection.execute(text(f"SELECT id FROM {table} WHERE subject_id = :s"),  # nosec B608  # fixed table names
                                     {"s": subject_id.hex if engine.dialect.name == "sqlite" else subject_id}).first()
            if row is not None:
                chosen[name] = str(uuid.UUID(str(row[0])))
    return chosen
