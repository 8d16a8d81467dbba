"""``broker audit``: verify, export and checkpoint the audit log."""

from __future__ import annotations

from datetime import datetime

import typer

from broker.cli.common import as_utc, load_settings

audit_app = typer.Typer(help="The tamper-evident audit log: verify it, export entries with proofs, sign a checkpoint.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify(
    verifier_key: str = typer.Option(
        None, "--verifier-key",
        help="The checkpoint verifier key you trust (<name>+<id>+<key>); default: this broker's own key.",
    ),
    checkpoint: list[typer.FileText] = typer.Option(
        [], "--checkpoint", help="A signed checkpoint you kept earlier (a file); checked too. Repeatable.",
    ),
) -> None:
    """Recompute every entry's hash, the Merkle tree and every signed checkpoint; exit 1 naming the first bad entry."""
    from audit import notes
    from audit.verification import verify_log
    from broker.audit_trail import auditing
    from broker.platform.db import Database, read_one_snapshot

    settings = load_settings()
    try:
        verifier = notes.parse_verifier_key(verifier_key) if verifier_key else auditing.verifier(settings)
    except notes.NoteError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    database = Database(settings)

    def progress(done: int, total: int) -> None:
        typer.echo(f"  checked {done:,} of {total:,} entries", err=True)

    with database.sessions() as session:
        read_one_snapshot(session)
        report = verify_log(session, verifier, extra_checkpoints=[f.read() for f in checkpoint], progress=progress)
    database.dispose()
    if report.ok:
        typer.echo(f"audit log intact: {report.entries_checked:,} entries, "
                   f"{report.checkpoints_checked} signed checkpoints verified")
        return
    if report.first_bad_entry is not None:
        typer.echo(f"AUDIT LOG TAMPERED: first bad entry is {report.first_bad_entry}", err=True)
    elif report.bad_range is not None:
        first, last = report.bad_range
        typer.echo(f"AUDIT LOG TAMPERED: an entry between {first} and {last} is bad "
                   "(the signed checkpoints cannot say which)", err=True)
    for problem in report.problems:
        typer.echo(f"  - {problem}", err=True)
    raise typer.Exit(1)


@audit_app.command("export")
def audit_export(
    output: typer.FileTextWrite = typer.Option("-", "--output", "-o", help="File to write (default: standard output)."),
    fmt: str = typer.Option("jsonl", "--format", help="jsonl (JSON Lines, checkpoint first) or csv (checkpoint in <output>.checkpoint)."),
    subject: str = typer.Option(None, help="Only entries about this subject (person id)."),
    actor: str = typer.Option(None, help="Only entries by this user id."),
    organisation: str = typer.Option(None, help="Only entries by staff of this organisation id."),
    event_type: list[str] = typer.Option([], "--event-type", help="Only these event types (repeatable), e.g. consent.granted."),
    since: datetime = typer.Option(None, help="Only entries recorded at or after this UTC time (ISO 8601)."),
    until: datetime = typer.Option(None, help="Only entries recorded before this UTC time (ISO 8601)."),
    requested_by: str = typer.Option(None, help="Who is exporting (recorded in the audit log; default: your login name)."),
) -> None:
    """Export entries, each with its inclusion proof in a freshly signed checkpoint, to verify away from the broker."""
    import getpass

    from broker.audit_trail import auditing, catalogue, governance
    from broker.platform.db import Database

    if fmt not in ("jsonl", "csv"):
        typer.echo("error: --format must be jsonl or csv", err=True)
        raise typer.Exit(2)
    if fmt == "csv" and output.name == "<stdout>":
        typer.echo("error: a CSV export needs --output (its checkpoint is written beside it)", err=True)
        raise typer.Exit(2)
    search = governance.AuditSearch(subject_id=subject, actor_user_id=actor, actor_organisation_id=organisation,
                                    event_types=tuple(event_type), since=as_utc(since), until=as_utc(until))
    settings = load_settings()
    database = Database(settings)
    with database.unit_of_work() as session:
        auditing.record(session, catalogue.audit_exported(
            catalogue.Operator(requested_by or getpass.getuser(), "operator"), reason="broker audit export",
            filters={"format": fmt, **search.described()},
        ))
        checkpoint = auditing.sign_checkpoint(session, settings)
    with database.sessions() as session:
        entries = governance.find_entries(session, search, seqs_below=checkpoint.tree_size)
        count = auditing.export_entries(session, entries, checkpoint, settings, output, fmt,
                                        progress=lambda n: typer.echo(f"  exported {n:,} entries", err=True))
    database.dispose()
    if fmt == "csv":
        with open(output.name + ".checkpoint", "w", encoding="utf-8") as handle:
            handle.write(checkpoint.note)
    typer.echo(f"exported {count:,} entries with inclusion proofs in the checkpoint of tree size {checkpoint.tree_size:,}", err=True)


@audit_app.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign a checkpoint over every entry so far now (the broker also does this every few seconds) and print it."""
    from broker.audit_trail import auditing
    from broker.platform.db import Database

    settings = load_settings()
    database = Database(settings)
    with database.unit_of_work() as session:
        checkpoint = auditing.sign_checkpoint(session, settings)
    database.dispose()
    typer.echo(checkpoint.note, nl=False)


@audit_app.command("verifier-key")
def audit_verifier_key() -> None:
    """Print the key that verifies this broker's checkpoints (give it to whoever checks the log)."""
    from broker.audit_trail import auditing

    typer.echo(auditing.verifier_key(load_settings()))
