"""The social care adapter: a CareFirst / Mosaic style system speaking JSON over REST.

It never calls the system's safeguarding endpoint, and it passes on only records whose
classification is ``standard``: anything the system labels otherwise (safeguarding, child
protection, restricted) is dropped without a count.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from adapters.http_adapter import HttpSourceAdapter
from adapters.protocol import (
    RESTRICTED_CATEGORIES,
    Candidate,
    DataCategory,
    FetchContext,
    PersonQuery,
    RecordItem,
    releasable,
    requestable,
    utcnow,
)

RELEASABLE_CLASSIFICATIONS = frozenset({"standard"})
PFA_TYPES = ("transition", "preparing for adulthood")


class SocialCareAdapter(HttpSourceAdapter):
    kind = "social_care"
    categories = frozenset({DataCategory.ID_CORE, DataCategory.SC_ASSESSMENT, DataCategory.SC_PLAN,
                            DataCategory.PFA_ADVICE})
    identifier_schemes = frozenset({"nhs_number"})

    async def find_person(self, query: PersonQuery, context: FetchContext) -> list[Candidate]:
        """People by NHS number, or by date of birth and names."""
        answer = await self.search("/api/v1/persons/search", "nhs_number", query, context)
        if answer is None:
            return []
        return self.candidates(self.parse_json(answer), "persons", lambda p: Candidate(
            self.name, str(p["personId"]), p.get("forename"), p.get("surname"),
            self.parse_date(p.get("dateOfBirth")), p.get("gender"), p.get("postcode"),
            {"nhs_number": p["nhsNumber"]} if p.get("nhsNumber") else {}))

    async def _get(self, path: str, key: str, context: FetchContext) -> list[dict[str, Any]] | None:
        answer = await self.connection.request("GET", path, context=context)
        if answer.status == 404:
            return None
        payload = self.parse_json(answer)
        if not isinstance(payload, dict) or not isinstance(payload.get(key, []), list):
            raise self.malformed("unexpected record list")
        return payload.get(key, []) if key else [payload]

    async def fetch(
        self, person_ref: str, categories: Iterable[DataCategory | str], context: FetchContext
    ) -> list[RecordItem]:
        """Core details, assessments, plans, short breaks and transition assessments of one person."""
        wanted = [c for c in requestable(categories) if c in self.categories]
        base = f"/api/v1/persons/{person_ref}"
        now = utcnow()
        items: list[RecordItem | None] = []  # None: a record the system holds back
        try:
            if DataCategory.ID_CORE in wanted:
                answer = await self.connection.request("GET", base, context=context)
                if answer.status == 404:
                    return []
                p = self.parse_json(answer)
                items.append(RecordItem(self.name, f"{person_ref}/core", DataCategory.ID_CORE, "Person details", None, now, {
                    "person_id": p["personId"], "forename": p["forename"], "surname": p["surname"],
                    "date_of_birth": p["dateOfBirth"], "gender": p["gender"], "nhs_number": p.get("nhsNumber"),
                    "looked_after": bool(p.get("lookedAfter"))}))
            if DataCategory.SC_ASSESSMENT in wanted or DataCategory.PFA_ADVICE in wanted:
                for record in await self._get(f"{base}/assessments", "assessments", context) or []:
                    category = self._category_of(record, default=DataCategory.SC_ASSESSMENT)
                    if category in wanted:
                        items.append(self._item(record, category, now, "startDate"))
            if DataCategory.SC_ASSESSMENT in wanted:
                for record in await self._get(f"{base}/short-breaks", "shortBreaks", context) or []:
                    items.append(self._item(record, DataCategory.SC_ASSESSMENT, now, "startDate",
                                            title=f"Short breaks: {record.get('service', '')}".strip()))
            if DataCategory.SC_PLAN in wanted:
                for record in await self._get(f"{base}/plans", "plans", context) or []:
                    items.append(self._item(record, self._category_of(record, DataCategory.SC_PLAN), now, "startDate"))
        except (KeyError, TypeError, AttributeError):
            raise self.malformed("unexpected content") from None
        return releasable(item for item in items if item is not None)

    def _category_of(self, record: dict[str, Any], default: DataCategory) -> DataCategory:
        declared = record.get("category")
        if declared:
            try:
                return DataCategory(declared)
            except ValueError:
                return DataCategory.THIRD_PARTY  # an unknown label is treated as restricted
        if any(word in str(record.get("type", "")).lower() for word in PFA_TYPES):
            return DataCategory.PFA_ADVICE
        return default

    def _item(self, record: dict[str, Any], category: DataCategory, now: Any, date_key: str,
              title: str | None = None) -> RecordItem | None:
        if record.get("classification") not in RELEASABLE_CLASSIFICATIONS or category in RESTRICTED_CATEGORIES:
            return None
        content = {k: v for k, v in record.items() if k not in ("classification",)}
        return RecordItem(self.name, str(record["id"]), category, title or str(record["type"]),
                          self.parse_date(record.get(date_key)), now, content)


ADAPTER = SocialCareAdapter
