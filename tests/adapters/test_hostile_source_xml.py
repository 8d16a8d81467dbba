"""A source system that answers with hostile XML (a DTD, external entities, entity expansion):
the adapter refuses it as malformed, quickly, without reading any file or address it names, and
returns nothing to store."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi import FastAPI, Request, Response

from adapters.connection import SourceSystemConfig
from adapters.education import EducationAdapter
from adapters.errors import SourceFailure
from adapters.protocol import DataCategory, FetchContext, PersonQuery
from adapters.registry import AdapterRegistry, fetch_from_all
from adapters.simulators.common import DEVELOPMENT_CLIENT_ID, DEVELOPMENT_CLIENT_SECRET
from tests.adapters.conftest import RunningSimulator, start

CONTEXT = FetchContext(purpose="EHC_NEEDS_ASSESSMENT", case_reference="EHC-2026-0042",
                       consent_ids=("c-1",), requesting_user="sen.caseworker", request_id="req-hostile")
QUERY = PersonQuery("Leo", "Walsh", date(2014, 7, 9), "M", identifiers={"upn": "H820400118004"})
PUPIL = ("<Header><DocumentName>Common Transfer File</DocumentName></Header><CTFpupilData><Pupil>"
         "<ApplicationReference>P-1</ApplicationReference><UPN>H820400118004</UPN><Forename>{name}</Forename>"
         "<Surname>Walsh</Surname><DOB>2014-07-09</DOB><Sex>M</Sex></Pupil></CTFpupilData>")
LAUGHS = "".join(f'<!ENTITY lol{i} "{"&lol{};".format(i - 1) * 10}">' for i in range(1, 10))


def _ctf(doctype: str, name: str = "Leo") -> bytes:
    return f'<?xml version="1.0"?>{doctype}<CTfile>{PUPIL.format(name=name)}</CTfile>'.encode()


def _hostile_documents(secret: Path) -> dict[str, bytes]:
    return {
        "billion laughs": _ctf(f'<!DOCTYPE CTfile [<!ENTITY lol0 "lol">{LAUGHS}]>', "&lol9;"),
        "quadratic blow-up": _ctf(f'<!DOCTYPE CTfile [<!ENTITY a "{"x" * 50_000}">]>', "&a;" * 2_000),
        "external file entity": _ctf(f'<!DOCTYPE CTfile [<!ENTITY s SYSTEM "file://{secret}">]>', "&s;"),
        "external parameter entity": _ctf(f'<!DOCTYPE CTfile [<!ENTITY % p SYSTEM "file://{secret}"> %p;]>'),
        "external DTD": _ctf(f'<!DOCTYPE CTfile SYSTEM "file://{secret}">'),
        "network entity": _ctf('<!DOCTYPE CTfile [<!ENTITY n SYSTEM "http://127.0.0.1:9/secret">]>', "&n;"),
        "internal DTD only": _ctf('<!DOCTYPE CTfile [<!ELEMENT CTfile ANY>]>'),
        "UTF-16 with a DTD": _ctf(f'<!DOCTYPE CTfile [<!ENTITY s SYSTEM "file://{secret}">]>', "&s;")
        .replace(b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="UTF-16"?>').decode().encode("utf-16"),
    }


class HostileSource:
    """A source system whose every answer is ``document``."""

    def __init__(self) -> None:
        self.document = b""
        self.app = FastAPI()

        @self.app.post("/oauth/token")
        def token() -> dict[str, object]:
            return {"access_token": "hostile", "token_type": "Bearer", "expires_in": 600}

        @self.app.api_route("/{path:path}", methods=["GET", "POST"])
        def anything(request: Request, path: str) -> Response:
            return Response(self.document, media_type="application/xml")


@pytest.fixture(scope="module")
def hostile() -> Iterator[tuple[HostileSource, RunningSimulator]]:
    source = HostileSource()
    running = start("hostile", source.app)
    yield source, running
    running.server.should_exit = True
    running.thread.join(timeout=5)


@pytest.fixture(scope="module")
def secret(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("secret") / "secret.txt"
    path.write_text("TOP-SECRET-VALUE")
    return path


def _adapter(url: str) -> EducationAdapter:
    return EducationAdapter(SourceSystemConfig("education", "education", url, client_id=DEVELOPMENT_CLIENT_ID,
                                               client_secret=DEVELOPMENT_CLIENT_SECRET, timeout_seconds=2.0,
                                               retry_base_delay=0.01))


def test_a_plain_answer_from_the_same_source_is_read(hostile) -> None:  # type: ignore[no-untyped-def]
    source, running = hostile
    source.document = _ctf("")
    candidates = asyncio.run(_adapter(running.url).find_person(QUERY, CONTEXT))
    assert [(c.given_name, c.family_name) for c in candidates] == [("Leo", "Walsh")]


@pytest.mark.parametrize("kind", list(_hostile_documents(Path("/x"))))
def test_hostile_xml_is_refused_as_malformed_and_nothing_is_returned(hostile, secret: Path, kind: str) -> None:  # type: ignore[no-untyped-def]
    source, running = hostile
    source.document = _hostile_documents(secret)[kind]
    adapter = _adapter(running.url)
    started = time.monotonic()
    with pytest.raises(SourceFailure) as failure:
        asyncio.run(adapter.find_person(QUERY, CONTEXT))
    assert failure.value.reason == "malformed"
    assert "TOP-SECRET-VALUE" not in str(failure.value)
    outcomes = asyncio.run(fetch_from_all(AdapterRegistry([adapter]), {"education": "P-1"},
                                          [DataCategory.ID_CORE, DataCategory.EDU_ATTENDANCE], CONTEXT))
    assert outcomes["education"].status == "failed" and outcomes["education"].items == []
    assert "TOP-SECRET-VALUE" not in repr(outcomes)
    assert time.monotonic() - started < 5


def test_an_xinclude_is_never_followed(hostile, secret: Path) -> None:  # type: ignore[no-untyped-def]
    source, running = hostile
    include = f'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file://{secret}" parse="text"/>'
    source.document = _ctf("", name=include)
    candidates = asyncio.run(_adapter(running.url).find_person(QUERY, CONTEXT))
    assert "TOP-SECRET-VALUE" not in repr(candidates)
    assert [c.given_name for c in candidates] in ([None], [""])


def _with_school(urn: str) -> bytes:
    return _ctf("").replace(b"<Sex>M</Sex>", f"<Sex>M</Sex><BasicDetails><SchoolURN>{urn}</SchoolURN></BasicDetails>".encode())


def test_the_school_named_by_the_source_is_the_records_holder(hostile) -> None:  # type: ignore[no-untyped-def]
    source, running = hostile
    source.document = _with_school("8203001")
    adapter = _adapter(running.url)
    assert [c.held_by for c in asyncio.run(adapter.find_person(QUERY, CONTEXT))] == ["8203001"]
    items = asyncio.run(adapter.fetch("P-1", [DataCategory.ID_CORE], CONTEXT))
    assert [i.held_by for i in items] == ["8203001"]


@pytest.mark.parametrize("urn", ["82030O1", "8203001 OR 1=1", "1" * 40, "８２０３００１"])
def test_a_school_urn_that_is_not_one_is_refused_as_malformed(hostile, urn: str) -> None:  # type: ignore[no-untyped-def]
    source, running = hostile
    source.document = _with_school(urn)
    adapter = _adapter(running.url)
    with pytest.raises(SourceFailure) as failure:
        asyncio.run(adapter.find_person(QUERY, CONTEXT))
    assert failure.value.reason == "malformed"
    outcomes = asyncio.run(fetch_from_all(AdapterRegistry([adapter]), {"education": "P-1"}, [DataCategory.ID_CORE], CONTEXT))
    assert outcomes["education"].status == "failed" and outcomes["education"].items == []
