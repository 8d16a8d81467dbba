"""``broker schools``: the register of schools, whose URNs name the holders of pupils' records."""

from __future__ import annotations

import getpass
from pathlib import Path

import typer

from broker.cli.common import load_settings

schools_app = typer.Typer(help="The schools the broker knows, by URN (from Get Information About Schools).",
                          no_args_is_help=True)

MAX_FILE_BYTES = 200_000_000


@schools_app.command("load")
def schools_load(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                help="A GIAS extract (CSV with URN and EstablishmentName columns)."),
    la: str = typer.Option(None, "--la", help="Only this local authority's schools (its 'LA (code)', e.g. 820)."),
    open_only: bool = typer.Option(False, "--open-only", help="Only schools whose status is Open."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would change, change nothing."),
    loaded_by: str = typer.Option(None, help="Who is loading (recorded in the audit log; default: your login name)."),
) -> None:
    """Add the schools of a GIAS extract the broker does not know yet, and rename those it knows
    by URN whose name changed. A file with any bad row is refused whole, with each problem by line.
    Safe to run again: a school already known as it is in the file is left alone."""
    from broker.identity.schools import SchoolsFileError, decode, load, parse
    from broker.platform.db import Database

    if file.stat().st_size > MAX_FILE_BYTES:
        typer.echo(f"error: {file} is larger than {MAX_FILE_BYTES // 1_000_000} MB; is it a GIAS extract?", err=True)
        raise typer.Exit(2)
    settings = load_settings()
    database = Database(settings)
    try:
        schools, skipped = parse(decode(file.read_bytes()), la_code=la, open_only=open_only)
        with database.unit_of_work() as session:
            result = load(session, schools, actor=loaded_by or getpass.getuser(), dry_run=dry_run)
    except SchoolsFileError as exc:
        typer.echo(f"error: {file} was not loaded, nothing changed:\n{exc}", err=True)
        raise typer.Exit(2) from None
    finally:
        database.dispose()
    verb = "would add" if dry_run else "added"
    typer.echo(f"{len(schools)} school(s) read ({skipped} left out by the filters): {verb} {len(result.added)}, "
               f"{'would rename' if dry_run else 'renamed'} {len(result.renamed)}, {result.unchanged} unchanged")
