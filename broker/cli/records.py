"""``broker retention`` and ``broker sar``: erasing what has expired, and subject access exports."""

from __future__ import annotations

import getpass
import json
import uuid
from datetime import datetime
from pathlib import Path

import typer

from broker.cli.common import as_utc, load_settings
from broker.platform.clock import utcnow

retention_app = typer.Typer(
    help="Erase stored records past their retention deadline (rules: BROKER_RETENTION_RULES).",
    no_args_is_help=True,
)
sar_app = typer.Typer(help="Subject access: everything the broker holds about a child.", no_args_is_help=True)


def _subject(subject_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(subject_id)
    except ValueError:
        typer.echo(f"error: {subject_id!r} is not a subject id (a UUID)", err=True)
        raise typer.Exit(2) from None


@retention_app.command("apply")
def retention_apply(
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would be erased, erase nothing."),
    at: datetime = typer.Option(None, "--at", help="Apply the rules as at this UTC time (ISO 8601; default: now)."),
) -> None:
    """Erase every stored item past its deadline: 12 months after its case closed (by default),
    or once the grace period after the family withdrew the last permission it was held under ends.

    Safe to run daily and to run twice: an item already erased is not counted again, and a run
    with nothing to do writes nothing. Each erasure is audited with item ids and reasons; the
    audit log itself is never changed. One transaction per child: an interrupted run keeps what
    it did. Prints a line per child and a summary.
    """
    from broker.platform.db import Database
    from broker.records.encryption.service import RecordEncryption, purge_write_ahead_log
    from broker.records.erasure import apply_retention
    from consent.models import utcnow

    settings = load_settings()
    moment = as_utc(at) or utcnow()
    database = Database(settings)

    def progress(number: int, total: int, subject_id: uuid.UUID, count: int) -> None:
        verb = "would erase" if dry_run else "erased"
        typer.echo(f"  [{number}/{total}] subject {subject_id}: {verb} {count} item(s)", err=True)

    try:
        run = apply_retention(database, settings, RecordEncryption.from_settings(settings), moment,
                              dry_run=dry_run, progress=progress)
        if run.erased:
            purge_write_ahead_log(database.engine)
    finally:
        database.dispose()
    if dry_run:
        typer.echo(f"dry run at {moment.isoformat()}: {len(run.expired)} item(s) past their deadline; nothing erased")
    else:
        typer.echo(f"retention applied at {moment.isoformat()}: {run.erased} item(s) of {run.subjects} "
                   "child(ren) erased")


@sar_app.command("export")
def sar_export(
    subject_id: str = typer.Argument(..., help="The child's (subject's) id."),
    out: Path = typer.Option(Path("."), "--out", help="Directory to write the JSON file and the HTML report to."),
    requested_by: str = typer.Option(None, help="Who is exporting (recorded in the audit log; default: your login name)."),
) -> None:
    """Write everything the broker holds about a child (identities and links, related adults,
    permissions with their history, requests and answers, assessments, gathered items, access
    history) as sar-<id>.json and a readable sar-<id>.html, for IG to review before release.

    The export is audited. The files hold personal data: keep them safe and delete them once sent.
    """
    from broker.audit_trail.catalogue import Operator
    from broker.platform.db import Database
    from broker.platform.errors import NotFound
    from broker.records.encryption.service import RecordEncryption
    from broker.records.subject_access import audit_export, render_report, subject_access_export

    subject = _subject(subject_id)
    settings = load_settings()
    database = Database(settings)
    try:
        with database.unit_of_work() as session:
            export = subject_access_export(session, RecordEncryption.from_settings(settings), subject)
            audit_export(session, subject, by=Operator(requested_by or getpass.getuser(), "operator"),
                         export=export, fmt="json+html")
    except NotFound as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from None
    finally:
        database.dispose()
    out.mkdir(parents=True, exist_ok=True)
    json_path, html_path = out / f"sar-{subject}.json", out / f"sar-{subject}.html"
    json_path.write_text(json.dumps(export, indent=2, ensure_ascii=False), encoding="utf-8")
    html_path.write_text(render_report(export), encoding="utf-8")
    for path in (json_path, html_path):
        path.chmod(0o600)
    counts = ", ".join(f"{len(v)} {k.replace('_', ' ')}" for k, v in export.items() if isinstance(v, list))
    typer.echo(f"wrote {json_path} and {html_path} ({counts}) at {utcnow().isoformat(timespec='seconds')}")
