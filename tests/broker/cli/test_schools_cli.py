"""`broker schools load`: the register of schools from a GIAS extract, on a real database."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from audit.models import AuditEntry
from broker.dev.demo import demo_id
from broker.platform.db import Database
from consent.models import Organisation

HEADER = '"URN","LA (code)","LA (name)","EstablishmentName","EstablishmentStatus (name)"\n'


def _gias(tmp_path: Path, rows: list[str], encoding: str = "cp1252", name: str = "edubasealldata.csv") -> Path:
    path = tmp_path / name
    path.write_bytes((HEADER + "".join(r + "\n" for r in rows)).encode(encoding))
    return path


def _schools(database: Database) -> dict[str, str]:
    with database.sessions() as session:
        return {o.urn: o.name for o in session.scalars(select(Organisation).where(Organisation.urn.is_not(None)))}


def _audited(database: Database, event_type: str) -> list[dict]:  # type: ignore[type-arg]
    with database.sessions() as session:
        return [e.details_data for e in session.scalars(select(AuditEntry).where(AuditEntry.event_type == event_type))]


def test_a_councils_schools_are_loaded_once_and_renamed_in_place(broker_cli, demo, database: Database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = ['"8202001","820","Northshire","Riverside Primary School","Open"',
            '"8205001","820","Northshire","Ysgol Gymraeg Caerlŷr – Welsh Medium","Open"',
            '"8205002","820","Northshire","St Anne’s RC Infant School","Open, but proposed to close"',
            '"9301001","930","Elsewhere","Another Council\'s School","Open"',
            '"8205003","820","Northshire","Closed Junior School","Closed"']
    first = broker_cli("schools", "load", _gias(tmp_path, rows, "utf-8"), "--la", "820", "--open-only", "--loaded-by", "ig.admin")
    assert first.exit_code == 0, first.output
    # Riverside is known already; the other council's, the closing and the closed school are left out.
    assert "2 school(s) read (3 left out by the filters): added 1, renamed 0, 1 unchanged" in first.output
    everything = broker_cli("schools", "load", _gias(tmp_path, rows, "utf-8"), "--la", "820", "--loaded-by", "ig.admin")
    assert everything.exit_code == 0, everything.output
    assert "4 school(s) read (1 left out by the filters): added 2, renamed 0, 2 unchanged" in everything.output
    schools = _schools(database)
    assert schools["8205001"] == "Ysgol Gymraeg Caerlŷr – Welsh Medium" and schools["8205002"] == "St Anne’s RC Infant School"
    assert "9301001" not in schools
    added = _audited(database, "admin.organisation_added")
    assert {d["code"] for d in added} >= {"SCH-8205001", "SCH-8205002", "SCH-8205003"}

    # Run again: nothing changes; a school renamed in GIAS keeps its id, which permissions name.
    again = broker_cli("schools", "load", _gias(tmp_path, ['"8202001","820","Northshire","Riverside Primary Academy","Open"']))
    assert again.exit_code == 0 and "added 0, renamed 1, 0 unchanged" in again.output
    with database.sessions() as session:
        riverside = session.scalars(select(Organisation).where(Organisation.urn == "8202001")).one()
    assert riverside.id == demo_id("org:SCH-RIVERSIDE") and riverside.name == "Riverside Primary Academy"
    assert [d["name_was"] for d in _audited(database, "admin.organisation_changed")] == ["Riverside Primary School"]


def test_a_gias_extract_in_windows_1252_is_read(broker_cli, demo, database: Database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = broker_cli("schools", "load", _gias(tmp_path, ['"8206001","820","Northshire","St Anne’s – Café School","Open"']))
    assert result.exit_code == 0, result.output
    assert _schools(database)["8206001"] == "St Anne’s – Café School"


def test_a_dry_run_changes_nothing(broker_cli, demo, database: Database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    before = _schools(database)
    result = broker_cli("schools", "load", _gias(tmp_path, ['"8206001","820","Northshire","New School","Open"']), "--dry-run")
    assert result.exit_code == 0 and "would add 1" in result.output
    assert _schools(database) == before and _audited(database, "admin.organisation_added") == _audited(
        database, "admin.organisation_added")
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Organisation).where(Organisation.urn == "8206001")) == 0


@pytest.mark.parametrize(("rows", "problem"), [
    (['"82060","820","N","Too Short URN","Open"'], "line 3: URN '82060' is not 6 to 8 digits"),
    (['"8206001","820","N","Fine","Open"', '"8206001","820","N","Twice","Open"'], "line 4: URN 8206001 is also on line 3"),
    (['"8206002","820","N","   ","Open"'], "line 3: the school's name is empty"),
    (['"8206003","820","N","Bell\x07School","Open"'], "line 3: the school's name is empty, longer than 200 characters, "
                                                       "or holds control characters"),
    (['"8206004","820","N","Extra","Open","surplus"'], "line 3: more values than columns"),
])
def test_a_file_with_a_bad_row_is_refused_whole(broker_cli, demo, database: Database, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                rows: list[str], problem: str) -> None:
    before = _schools(database)
    result = broker_cli("schools", "load", _gias(tmp_path, ['"8207001","820","Northshire","A Good School","Open"', *rows]))
    assert result.exit_code == 2
    assert "was not loaded, nothing changed" in result.output and problem in result.output
    assert _schools(database) == before


def test_not_a_gias_extract_is_refused(broker_cli, demo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "contacts.csv"
    path.write_text("Name,Email\nA,a@example.org\n")
    result = broker_cli("schools", "load", path)
    assert result.exit_code == 2 and "no URN, EstablishmentName column" in result.output
    no_la = tmp_path / "no-la.csv"
    no_la.write_text("URN,EstablishmentName\n8209001,A School\n")
    filtered = broker_cli("schools", "load", no_la, "--la", "820")
    assert filtered.exit_code == 2 and "no 'LA (code)' column" in filtered.output


def test_a_code_taken_by_an_organisation_without_that_urn_is_refused(broker_cli, demo, database: Database,  # type: ignore[no-untyped-def]
                                                                     tmp_path: Path) -> None:
    with database.unit_of_work() as session:
        session.add(Organisation(code="SCH-8208001", name="Typed in by hand", kind="school"))
    result = broker_cli("schools", "load", _gias(tmp_path, ['"8208001","820","Northshire","The Real One","Open"']))
    assert result.exit_code == 2 and "give that organisation its URN first" in result.output
    assert "8208001" not in _schools(database)
