"""A CareFirst / Mosaic style children's social care system: JSON over REST.

Person search by NHS number or by name and date of birth; each person's assessments, plans and
short-breaks records; and safeguarding records, which this system (like the real ones) serves to
its own staff at ``/safeguarding`` and which the broker's adapter must never ask for.  Some
safeguarding items are mis-filed among assessments and plans with a ``safeguarding``
classification, as happens in real case files.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, HTTPException, Response

from adapters.simulators.common import (
    SearchRequest,
    SimulatorCredentials,
    System,
    answer,
    install_common,
    search_matches,
)
from adapters.simulators.population import Population, SocialCareRecord


def _person(rec: SocialCareRecord) -> dict[str, Any]:
    return {"personId": rec.person_id, "forename": rec.forename, "surname": rec.surname,
            "dateOfBirth": rec.dob.isoformat(), "gender": rec.gender, "nhsNumber": rec.nhs_number,
            "postcode": rec.postcode, "lookedAfter": rec.looked_after}


def _json(state: Any, payload: Any) -> Response:
    return answer(state, json.dumps(payload, default=str).encode(), "application/json")


def create_app(population: Population, credentials: SimulatorCredentials) -> FastAPI:
    app = FastAPI(title="Children's social care simulator (CareFirst / Mosaic style)", docs_url="/docs")
    install_common(app, credentials)

    def person(person_id: str) -> SocialCareRecord:
        rec = population.social_care.get(person_id)
        if rec is None:
            raise HTTPException(404, detail="no such person")
        return rec

    @app.post("/api/v1/persons/search")
    def search(query: SearchRequest, state: System) -> Response:
        """People by NHS number, or by date of birth with names."""
        if not (query.nhs_number or query.date_of_birth):
            raise HTTPException(422, detail="give an NHS number or a date of birth")
        found = [_person(r) for r in population.social_care.values() if search_matches(
            query, nhs=r.nhs_number, upn=None, given=r.forename, family=r.surname, dob=r.dob)][:25]
        return _json(state, {"persons": found})

    @app.get("/api/v1/persons/{person_id}")
    def read_person(person_id: str, state: System) -> Response:
        """One person's core details."""
        return _json(state, _person(person(person_id)))

    @app.get("/api/v1/persons/{person_id}/assessments")
    def assessments(person_id: str, state: System) -> Response:
        """Assessments (disabled children's, child and family, short breaks, carers, transition)."""
        return _json(state, {"assessments": person(person_id).assessments})

    @app.get("/api/v1/persons/{person_id}/plans")
    def plans(person_id: str, state: System) -> Response:
        """Child in need plans and care plans."""
        return _json(state, {"plans": person(person_id).plans})

    @app.get("/api/v1/persons/{person_id}/short-breaks")
    def short_breaks(person_id: str, state: System) -> Response:
        """Short-breaks services the child receives."""
        return _json(state, {"shortBreaks": person(person_id).short_breaks})

    @app.get("/api/v1/persons/{person_id}/safeguarding")
    def safeguarding(person_id: str, state: System) -> Response:
        """Section 47 enquiries, strategy meetings, child protection plans (for the system's own staff)."""
        return _json(state, {"records": person(person_id).safeguarding})

    return app
