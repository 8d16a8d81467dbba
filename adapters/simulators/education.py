"""A Capita One style education system, answering in DfE Common Transfer File (CTF) XML.

``POST /api/pupils/search`` finds pupils by UPN or by date of birth and names and answers a CTF
with each pupil's basic details; ``GET /api/pupils/{pupil_id}/ctf?sections=...`` answers one
pupil's CTF with the sections asked for.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # nosec B405  # builds the simulated XML; never parses any
from datetime import UTC, datetime
from typing import Annotated

from fastapi import FastAPI, HTTPException, Query, Response

from adapters.simulators.common import (
    SearchRequest,
    SimulatorCredentials,
    System,
    answer,
    install_common,
    search_matches,
)
from adapters.simulators.population import LA_NUMBER, EducationRecord, Population

SECTIONS = ("BasicDetails", "Address", "Contacts", "Attendance", "StageAssessments", "SENhistory", "EducationalAdvice")


def _sub(parent: ET.Element, tag: str, text: object | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag)
    if text is not None:
        element.text = text.isoformat() if hasattr(text, "isoformat") else str(text)
    return element


def _header(root: ET.Element) -> None:
    header = _sub(root, "Header")
    _sub(header, "DocumentName", "Common Transfer File")
    _sub(header, "CTFversion", "25.0")
    _sub(header, "DateTime", datetime.now(UTC).replace(microsecond=0).isoformat())
    _sub(header, "DocumentQualifier", "partial")
    source = _sub(header, "SourceSchool")
    _sub(source, "LEA", LA_NUMBER)
    _sub(source, "SchoolName", "Northshire County Council (Capita One)")
    dest = _sub(header, "DestSchool")
    _sub(dest, "LEA", LA_NUMBER)
    _sub(dest, "SchoolName", "SEND record-sharing broker")


def _pupil(parent: ET.Element, rec: EducationRecord, sections: set[str]) -> None:
    pupil = _sub(parent, "Pupil")
    _sub(pupil, "ApplicationReference", rec.pupil_id)
    if rec.upn:
        _sub(pupil, "UPN", rec.upn)
    _sub(pupil, "Surname", rec.surname)
    _sub(pupil, "Forename", rec.forename)
    _sub(pupil, "DOB", rec.dob)
    _sub(pupil, "Sex", rec.sex)
    basic = _sub(pupil, "BasicDetails")
    _sub(basic, "SchoolURN", rec.school_urn)
    _sub(basic, "SchoolName", rec.school_name)
    if "Address" in sections:
        address = _sub(pupil, "Address")
        lines = _sub(address, "AddressLines")
        _sub(lines, "AddressLine", rec.address_line)
        _sub(lines, "AddressLine", rec.town)
        _sub(address, "PostCode", rec.postcode)
    if "Contacts" in sections:
        contacts = _sub(pupil, "Contacts")
        for c in rec.contacts:
            contact = _sub(contacts, "Contact")
            _sub(contact, "Order", c["order"])
            _sub(contact, "Surname", c["surname"])
            _sub(contact, "Forename", c["forename"])
            _sub(contact, "Relationship", c["relationship"])
            _sub(contact, "Responsibility", "true" if c["responsibility"] else "false")
            phones = _sub(contact, "Phones")
            _sub(_sub(phones, "Phone"), "PhoneNo", c["phone"])
    if "Attendance" in sections:
        attendance = _sub(pupil, "Attendance")
        for y in rec.attendance:
            year = _sub(attendance, "YearData")
            _sub(year, "Year", y["year"])
            _sub(year, "SessionsPossible", y["possible"])
            _sub(year, "SessionsAuthorised", y["authorised"])
            _sub(year, "SessionsUnauthorised", y["unauthorised"])
            _sub(year, "Suspensions", y["suspensions"])
    if "StageAssessments" in sections:
        stages = _sub(pupil, "StageAssessments")
        for a in rec.assessments:
            sa = _sub(stages, "StageAssessment")
            _sub(sa, "Stage", a["stage"])
            _sub(sa, "Subject", a["subject"])
            _sub(sa, "Method", a["method"])
            _sub(sa, "Result", a["result"])
            _sub(sa, "ResultDate", a["date"])
    if "SENhistory" in sections:
        history = _sub(pupil, "SENhistory")
        for s in rec.sen_history:
            sen = _sub(history, "SEN")
            _sub(sen, "StartDate", s["start"])
            _sub(sen, "SENprovision", s["provision"])
            needs = _sub(sen, "SENneeds")
            for rank, need in enumerate(s["needs"], start=1):
                n = _sub(needs, "SENneed")
                _sub(n, "SENtype", need)
                _sub(n, "SENtypeRank", rank)
    if "EducationalAdvice" in sections:
        advice = _sub(pupil, "EducationalAdvice")
        for a in rec.advice:
            item = _sub(advice, "Advice")
            _sub(item, "Date", a["date"])
            _sub(item, "Author", a["author"])
            _sub(item, "Summary", a["summary"])
    _sub(_sub(pupil, "LookedAfter"), "InCare", "true" if rec.looked_after else "false")


def ctf(records: list[EducationRecord], sections: set[str]) -> bytes:
    root = ET.Element("CTfile")
    _header(root)
    data = _sub(root, "CTFpupilData")
    for rec in records:
        _pupil(data, rec, sections)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def create_app(population: Population, credentials: SimulatorCredentials) -> FastAPI:
    app = FastAPI(title="Education system simulator (Capita One style, CTF XML)", docs_url="/docs")
    install_common(app, credentials)

    @app.post("/api/pupils/search")
    def search(query: SearchRequest, state: System) -> Response:
        """Pupils by UPN, or by date of birth and names; a CTF holding their basic details."""
        if not (query.upn or query.date_of_birth):
            raise HTTPException(422, detail="give a UPN or a date of birth")
        found = [r for r in population.education.values() if search_matches(
            query, nhs=None, upn=r.upn, given=r.forename, family=r.surname, dob=r.dob)][:25]
        return answer(state, ctf(found, set()), "application/xml")

    @app.get("/api/pupils/{pupil_id}/ctf")
    def pupil_ctf(
        pupil_id: str, state: System,
        sections: Annotated[str, Query(description="comma-separated CTF sections")] = ",".join(SECTIONS),
    ) -> Response:
        """One pupil's CTF with the sections asked for."""
        rec = population.education.get(pupil_id)
        if rec is None:
            raise HTTPException(404, detail="no such pupil")
        wanted = {s for s in sections.split(",") if s in SECTIONS}
        return answer(state, ctf([rec], wanted), "application/xml")

    return app
