"""The education adapter: a Capita One style system answering in DfE Common Transfer File XML."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from xml.etree.ElementTree import Element  # nosec B405  # the Element type only; parsing goes through defusedxml

from adapters.connection import Answer
from adapters.http_adapter import HttpSourceAdapter
from adapters.protocol import (
    Candidate,
    DataCategory,
    FetchContext,
    PersonQuery,
    RecordItem,
    releasable,
    requestable,
    utcnow,
)

_URN = re.compile(r"^[0-9]{6,8}$")

# The CTF sections each category needs.
SECTIONS = {
    DataCategory.ID_CORE: ("BasicDetails",),
    DataCategory.ID_CONTACT: ("Address", "Contacts"),
    DataCategory.EDU_ATTENDANCE: ("Attendance",),
    DataCategory.EDU_ATTAINMENT: ("StageAssessments",),
    DataCategory.EDU_SEN_SUPPORT: ("SENhistory",),
    DataCategory.EDU_ADVICE: ("EducationalAdvice",),
}


def _text(element: Element | None, path: str) -> str | None:
    if element is None:
        return None
    found = element.find(path)
    return found.text.strip() if found is not None and found.text else None


def _required(element: Element, path: str) -> str:
    value = _text(element, path)
    if not value:
        raise KeyError(path)
    return value


class EducationAdapter(HttpSourceAdapter):
    kind = "education"
    categories = frozenset(SECTIONS)
    identifier_schemes = frozenset({"upn"})
    names_holders = True

    def _pupils(self, answer: Answer) -> list[Element]:
        root = self.parse_xml(answer)
        if root.tag != "CTfile" or root.find("Header") is None:
            raise self.malformed("not a Common Transfer File")
        return root.findall("CTFpupilData/Pupil")

    def _school(self, pupil: Element) -> str | None:
        """The pupil's current school's URN, which names the record's holder."""
        urn = _text(pupil, "BasicDetails/SchoolURN")
        if urn is not None and not _URN.match(urn):
            raise self.malformed("a school URN that is not one")
        return urn

    async def find_person(self, query: PersonQuery, context: FetchContext) -> list[Candidate]:
        """Pupils by UPN, or by date of birth and names."""
        answer = await self.search("/api/pupils/search", "upn", query, context)
        if answer is None or answer.status == 404:
            return []
        return self.candidates(self._pupils(answer), None, lambda pupil: Candidate(
            self.name, _required(pupil, "ApplicationReference"), _text(pupil, "Forename"), _text(pupil, "Surname"),
            self.parse_date(_text(pupil, "DOB")), _text(pupil, "Sex"), None,
            {"upn": u} if (u := _text(pupil, "UPN")) else {}, held_by=self._school(pupil)))

    async def fetch(
        self, person_ref: str, categories: Iterable[DataCategory | str], context: FetchContext
    ) -> list[RecordItem]:
        """One pupil's CTF, split into record items per category."""
        wanted = [c for c in requestable(categories) if c in self.categories]
        if not wanted:
            return []
        sections = sorted({s for c in wanted for s in SECTIONS[c]})
        answer = await self.connection.request(
            "GET", f"/api/pupils/{person_ref}/ctf", context=context, params={"sections": ",".join(sections)})
        if answer.status == 404:
            return []
        pupils = self._pupils(answer)
        if len(pupils) != 1 or _text(pupils[0], "ApplicationReference") != person_ref:
            raise self.malformed("the file is not about the pupil asked for")
        try:
            items = self._items(pupils[0], person_ref, wanted)
        except (TypeError, ValueError):
            raise self.malformed("unexpected content") from None
        return releasable(items)

    def _items(self, pupil: Element, ref: str, wanted: list[DataCategory]) -> list[RecordItem]:
        now = utcnow()
        items: list[RecordItem] = []
        school = self._school(pupil)

        def item(category: DataCategory, suffix: str, title: str, content: dict[str, Any], when: str | None) -> None:
            items.append(RecordItem(self.name, f"{ref}/{suffix}", category, title, self.parse_date(when), now, content,
                                    held_by=school))

        if DataCategory.ID_CORE in wanted:
            item(DataCategory.ID_CORE, "core", "Pupil details", {
                "upn": _text(pupil, "UPN"), "forename": _text(pupil, "Forename"), "surname": _text(pupil, "Surname"),
                "date_of_birth": _text(pupil, "DOB"), "sex": _text(pupil, "Sex"),
                "school_urn": _text(pupil, "BasicDetails/SchoolURN"),
                "school_name": _text(pupil, "BasicDetails/SchoolName"),
                "looked_after": _text(pupil, "LookedAfter/InCare") == "true"}, None)
        if DataCategory.ID_CONTACT in wanted:
            address = pupil.find("Address")
            contacts = [{"order": _text(c, "Order"), "forename": _text(c, "Forename"), "surname": _text(c, "Surname"),
                         "relationship": _text(c, "Relationship"),
                         "parental_responsibility": _text(c, "Responsibility") == "true",
                         "phones": [p.text for p in c.findall("Phones/Phone/PhoneNo") if p.text]}
                        for c in pupil.findall("Contacts/Contact")]
            item(DataCategory.ID_CONTACT, "contact", "Address and contacts", {
                "address_lines": [a.text for a in address.findall("AddressLines/AddressLine") if a.text]
                if address is not None else [],
                "postcode": _text(address, "PostCode"), "contacts": contacts}, None)
        if DataCategory.EDU_ATTENDANCE in wanted:
            for year in pupil.findall("Attendance/YearData"):
                y = _text(year, "Year") or "unknown"
                item(DataCategory.EDU_ATTENDANCE, f"attendance/{y}", f"Attendance {y}/{int(y) + 1 if y.isdigit() else ''}", {
                    "year": int(y), "sessions_possible": int(_text(year, "SessionsPossible") or 0),
                    "sessions_authorised_absence": int(_text(year, "SessionsAuthorised") or 0),
                    "sessions_unauthorised_absence": int(_text(year, "SessionsUnauthorised") or 0),
                    "suspensions": int(_text(year, "Suspensions") or 0)}, f"{int(y) + 1}-07-31")
        if DataCategory.EDU_ATTAINMENT in wanted:
            stages: dict[str, list[dict[str, Any]]] = {}
            dates: dict[str, str | None] = {}
            for sa in pupil.findall("StageAssessments/StageAssessment"):
                stage = _text(sa, "Stage") or "unknown"
                stages.setdefault(stage, []).append({
                    "subject": _text(sa, "Subject"), "method": _text(sa, "Method"), "result": _text(sa, "Result")})
                dates[stage] = _text(sa, "ResultDate")
            for stage, results in stages.items():
                item(DataCategory.EDU_ATTAINMENT, f"attainment/{stage}", f"{stage} results",
                     {"stage": stage, "results": results}, dates[stage])
        if DataCategory.EDU_SEN_SUPPORT in wanted:
            for n, sen in enumerate(pupil.findall("SENhistory/SEN"), start=1):
                provision = _text(sen, "SENprovision")
                item(DataCategory.EDU_SEN_SUPPORT, f"sen/{n}", "SEN history", {
                    "start_date": _text(sen, "StartDate"), "provision": provision,
                    "provision_label": {"K": "SEN support", "E": "EHC plan", "N": "No special provision"}.get(provision or ""),
                    "needs": [{"type": _text(need, "SENtype"), "rank": int(_text(need, "SENtypeRank") or 0)}
                              for need in sen.findall("SENneeds/SENneed")]}, _text(sen, "StartDate"))
        if DataCategory.EDU_ADVICE in wanted:
            for n, advice in enumerate(pupil.findall("EducationalAdvice/Advice"), start=1):
                item(DataCategory.EDU_ADVICE, f"advice/{n}", "Educational advice", {
                    "author": _text(advice, "Author"), "summary": _text(advice, "Summary")}, _text(advice, "Date"))
        return items


ADAPTER = EducationAdapter
