"""The schools the broker knows, loaded from an extract of Get Information About Schools (GIAS).

The education system names each pupil's school by its URN, and a release decision names the
school as the holder of the pupil's records (``broker.identity.holders``); a school the broker does not
know is never asked.  A council loads its schools from the GIAS extract (``edubasealldata*.csv``,
or the download of a search), which names each establishment by ``URN`` and
``EstablishmentName``, with ``LA (code)`` and ``EstablishmentStatus (name)`` beside them.

The whole file is checked before anything is written: one bad row refuses the file, with every
problem listed by line, so a half-loaded register never exists.  A school already known by its
URN keeps its id (permissions name it) and only takes the new name; a new one is added with the
code ``SCH-<URN>``.  Each school added or renamed is audited.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.audit_trail import catalogue
from broker.audit_trail.auditing import record_many
from consent.models import Organisation

URN = re.compile(r"^[0-9]{6,8}$")
MAX_NAME = 200
MAX_ERRORS_SHOWN = 20
REQUIRED_COLUMNS = ("URN", "EstablishmentName")
LA_COLUMN, STATUS_COLUMN = "LA (code)", "EstablishmentStatus (name)"


class SchoolsFileError(ValueError):
    """The file cannot be loaded; ``problems`` says why, by line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:MAX_ERRORS_SHOWN]
        more = len(problems) - len(shown)
        super().__init__("\n".join(shown + ([f"... and {more} more"] if more else [])))


@dataclass(frozen=True)
class School:
    urn: str
    name: str
    la_code: str | None
    status: str | None


@dataclass
class LoadResult:
    read: int = 0
    skipped: int = 0
    added: list[School] = field(default_factory=list)
    renamed: list[School] = field(default_factory=list)
    unchanged: int = 0


def decode(raw: bytes) -> str:
    """GIAS extracts are Windows-1252; a file saved again may be UTF-8 (with or without a BOM)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252")


def _clean_name(value: str) -> str | None:
    name = " ".join(unicodedata.normalize("NFC", value).split())
    if not name or len(name) > MAX_NAME or any(unicodedata.category(c) in ("Cc", "Cf") for c in name):
        return None
    return name


def parse(text: str, *, la_code: str | None = None, open_only: bool = False) -> tuple[list[School], int]:
    """The schools in a GIAS extract, and how many rows the filters left out; raises
    ``SchoolsFileError`` listing every row that cannot be read."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = reader.fieldnames or []
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise SchoolsFileError([f"line 1: no {', '.join(missing)} column (is this a GIAS extract?)"])
    if la_code is not None and LA_COLUMN not in columns:
        raise SchoolsFileError([f"line 1: no {LA_COLUMN!r} column to filter by local authority"])
    if open_only and STATUS_COLUMN not in columns:
        raise SchoolsFileError([f"line 1: no {STATUS_COLUMN!r} column to keep open schools only"])
    schools: list[School] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    skipped = 0
    for row in reader:
        line = reader.line_num
        if None in row:
            problems.append(f"line {line}: more values than columns")
            continue
        urn, raw_name = (row.get("URN") or "").strip(), row.get("EstablishmentName") or ""
        la, status = (row.get(LA_COLUMN) or "").strip() or None, (row.get(STATUS_COLUMN) or "").strip() or None
        if la_code is not None and la != la_code or open_only and (status or "").lower() != "open":
            skipped += 1
            continue
        name = _clean_name(raw_name)
        if not URN.match(urn):
            problems.append(f"line {line}: URN {urn[:20]!r} is not 6 to 8 digits")
        elif urn in seen:
            problems.append(f"line {line}: URN {urn} is also on line {seen[urn]}")
        if name is None:
            problems.append(f"line {line}: the school's name is empty, longer than {MAX_NAME} characters, "
                            "or holds control characters")
        if URN.match(urn) and urn not in seen and name is not None:
            schools.append(School(urn, name, la, status))
        seen.setdefault(urn, line)
    if problems:
        raise SchoolsFileError(problems)
    return schools, skipped


def load(session: Session, schools: list[School], *, actor: str, dry_run: bool = False) -> LoadResult:
    """Add the schools the broker does not know, rename those it knows by URN whose name changed;
    in the caller's transaction (flushes, never commits).  With ``dry_run`` nothing is written."""
    result = LoadResult(read=len(schools))
    urns = [s.urn for s in schools]
    by_urn: dict[str, Organisation] = {}
    for start in range(0, len(urns), 500):
        chunk = urns[start:start + 500]
        by_urn |= {o.urn: o for o in session.scalars(select(Organisation).where(Organisation.urn.in_(chunk))) if o.urn}
    codes = {f"SCH-{s.urn}" for s in schools if s.urn not in by_urn}
    taken = set(session.scalars(select(Organisation.code).where(Organisation.code.in_(codes)))) if codes else set()
    if taken:
        raise SchoolsFileError([f"the code {code} is already another organisation's, which has no URN {code[4:]}; "
                                "give that organisation its URN first" for code in sorted(taken)])
    events = []
    for school in schools:
        known = by_urn.get(school.urn)
        if known is None:
            result.added.append(school)
            if not dry_run:
                organisation = Organisation(code=f"SCH-{school.urn}", name=school.name, kind="school", urn=school.urn)
                session.add(organisation)
                session.flush()
                events.append(catalogue.organisation_added(
                    catalogue.Operator(actor, "operator"), organisation=_described(organisation), reason=LOADED))
        elif known.name != school.name:
            result.renamed.append(school)
            if not dry_run:
                events.append(catalogue.organisation_changed(
                    catalogue.Operator(actor, "operator"), organisation=_described(known), name_was=known.name,
                    reason=LOADED))
                known.name = school.name
        else:
            result.unchanged += 1
    if events:
        session.flush()
        record_many(session, events)
    return result


LOADED = "schools loaded from a GIAS extract"


def _described(organisation: Organisation) -> dict[str, str | None]:
    return {"organisation_id": str(organisation.id), "code": organisation.code, "kind": organisation.kind,
            "urn": organisation.urn}
