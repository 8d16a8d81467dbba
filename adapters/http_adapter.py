"""What the HTTP adapters share: a connection, safe parsing of answers, and the health probe."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any
from xml.etree.ElementTree import Element, ParseError  # nosec B405  # the Element type and ParseError only; parsing goes through defusedxml

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from adapters.connection import Answer, SourceConnection, SourceSystemConfig
from adapters.errors import SourceFailure
from adapters.protocol import Candidate, FetchContext, HealthStatus, PersonQuery, SourceAdapter


class HttpSourceAdapter(SourceAdapter):
    """An adapter that reaches its system over HTTP through a ``SourceConnection``."""

    def __init__(self, config: SourceSystemConfig, **_: Any) -> None:
        super().__init__(config.name)
        self.config = config
        self.connection = SourceConnection(config)

    def malformed(self, what: str) -> SourceFailure:
        self.connection.breaker.record_failure()
        return SourceFailure(self.name, "malformed", f"the system's answer could not be read ({what})")

    def parse_json(self, answer: Answer) -> Any:
        if answer.media_type != "application/json":
            raise self.malformed("expected JSON")
        try:
            return json.loads(answer.body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise self.malformed("invalid JSON") from None

    def parse_xml(self, answer: Answer) -> Element:
        """Parse XML with no DTDs, no entity expansion and no external references (size is bounded
        by the connection before parsing starts)."""
        if answer.media_type not in ("application/xml", "text/xml"):
            raise self.malformed("expected XML")
        try:
            return SafeET.fromstring(answer.body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
        except (ParseError, DefusedXmlException, ValueError):
            raise self.malformed("invalid or unsafe XML") from None

    def parse_date(self, value: object) -> date | None:
        if value in (None, ""):
            return None
        try:
            return date.fromisoformat(str(value)[:10])
        except ValueError:
            raise self.malformed("invalid date") from None

    async def search(self, path: str, scheme: str, query: PersonQuery, context: FetchContext) -> Answer | None:
        """POST a person search by the system's identifier ``scheme``, or by date of birth and
        names; None when the query has neither (nothing to ask).  A search is a read, so retried."""
        identifier = query.identifiers.get(scheme)
        if not identifier and query.date_of_birth is None:
            return None
        body = {scheme: identifier, "given_name": query.given_name, "family_name": query.family_name,
                "date_of_birth": query.date_of_birth.isoformat() if query.date_of_birth else None}
        return await self.connection.request("POST", path, context=context, json=body, idempotent=True)

    def candidates(self, payload: Any, key: str | None, build: Callable[[Any], Candidate]) -> list[Candidate]:
        """Build candidates from the rows of a search answer (``payload[key]``, or ``payload``
        itself); anything unexpected is a malformed answer."""
        try:
            return [build(row) for row in (payload[key] if key else payload)]
        except (KeyError, TypeError, AttributeError):
            raise self.malformed("unexpected search result") from None

    async def health(self) -> HealthStatus:
        healthy, detail, latency = await self.connection.health()
        if healthy and self.connection.breaker.state != "closed":
            detail = f"answering; circuit {self.connection.breaker.state}"
        return HealthStatus(self.name, healthy, detail, round(latency, 1))
