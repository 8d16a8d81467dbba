"""``broker keys``: the key-encryption keys and subjects' data keys that protect stored records."""

from __future__ import annotations

import getpass
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import TYPE_CHECKING

import typer

from broker.cli.common import load_settings
from broker.platform.keys import KeyUnavailable
from broker.platform.settings import Settings

if TYPE_CHECKING:
    from broker.platform.db import Database
    from broker.records.encryption.keyring import Keyring

keys_app = typer.Typer(
    help=(
        "Keys that protect stored records. Each child's records are encrypted with their own data "
        "key; data keys are encrypted ('wrapped') by a key-encryption key (KEK) from the settings."
    ),
    no_args_is_help=True,
)




@contextmanager
def _database(settings: Settings, failures: dict[type[Exception], int], prefix: str = "error") -> Iterator[Database]:
    """The database for one command; the ``failures`` it expects become a message and an exit code."""
    from broker.platform.db import Database

    database = Database(settings)
    try:
        yield database
    except tuple(failures) as exc:
        typer.echo(f"{prefix}: {getattr(exc, 'detail', exc)}", err=True)
        raise typer.Exit(next(code for kind, code in failures.items() if isinstance(exc, kind))) from None
    finally:
        database.dispose()


def _keyring(settings: Settings) -> Keyring:
    from broker.records.encryption.keyring import load_keyring

    try:
        return load_keyring(settings)
    except KeyUnavailable as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


@keys_app.command("status")
def keys_status(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Show every KEK (configured or known to the database), which is current, and how many data keys each wraps."""
    from broker.records.encryption.rotation import key_status

    settings = load_settings()
    keyring = _keyring(settings)
    with _database(settings, {KeyUnavailable: 2}) as database, database.unit_of_work() as session:
        status = key_status(session, keyring)
    if as_json:
        typer.echo(json.dumps(asdict(status), indent=2))
        return
    typer.echo(f"KEKs from: {status.source}")
    typer.echo(f"  {'KEK id':<28} {'current':<8} {'configured':<11} {'fingerprint':<17} {'data keys':>9}  retired")
    for kek in status.keks:
        mismatch = "" if kek.fingerprint_matches in (True, None) else "  MISMATCH: other bytes than the database knows"
        typer.echo(
            f"  {kek.kek_id:<28} {'yes' if kek.current else '':<8} {'yes' if kek.configured else 'NO':<11} "
            f"{kek.fingerprint or '-':<17} {kek.live_data_keys:>9}  {kek.retired_at or ''}{mismatch}"
        )
    typer.echo(f"live data keys: {status.live_data_keys}; destroyed (erased subjects): {status.destroyed_data_keys}")


@keys_app.command("rotate")
def keys_rotate(
    new_kek: bool = typer.Option(
        False, "--new-kek",
        help="Development only: first add a new KEK to the development key file and make it current. "
        "In production, add the new KEK to BROKER_KEKS and set BROKER_CURRENT_KEK instead.",
    ),
    batch_size: int = typer.Option(500, min=1, max=100_000, help="Data keys re-wrapped per transaction."),
    throttle: float = typer.Option(
        0.0, min=0.0, max=60.0, help="Seconds to pause between batches, to spare a busy database.",
    ),
) -> None:
    """Re-wrap every data key under the current KEK, without touching stored records.

    Safe to run while the service runs, and safe to stop at any time: run it again and it
    carries on from where it stopped. Afterwards retire the old KEK with `broker keys retire`.
    """
    from broker.records.encryption.keyring import add_development_kek
    from broker.records.encryption.rotation import RotationProgress, rotate

    settings = load_settings()
    if new_kek:
        try:
            typer.echo(f"added KEK {add_development_kek(settings)} to the development key file; it is now current")
        except KeyUnavailable as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
    keyring = _keyring(settings)

    def report(progress: RotationProgress) -> None:
        typer.echo(
            f"rotate: {progress.rewrapped} of {progress.total} data keys re-wrapped under "
            f"{progress.target_kek_id} (batch {progress.batches})", err=True,
        )

    with _database(settings, {KeyUnavailable: 2}) as database:
        progress = rotate(database, keyring, batch_size=batch_size, throttle_seconds=throttle, on_batch=report)
    typer.echo(f"done: {progress.rewrapped} data keys re-wrapped under {progress.target_kek_id}")
    if progress.skipped_unknown_kek:
        for kek_id, count in progress.skipped_unknown_kek.items():
            typer.echo(f"warning: {count} data key(s) are under KEK {kek_id}, which is not configured here", err=True)
        raise typer.Exit(1)


@keys_app.command("retire")
def keys_retire(kek_id: str = typer.Argument(..., help="The id of the old KEK, as `broker keys status` shows it.")) -> None:
    """Mark an old KEK as retired once no data key uses it (refused while any does).

    In development the KEK is also removed from the key file.  In production, remove it from
    BROKER_KEKS afterwards and destroy it: backups made before the rotation then hold nothing
    readable of subjects erased since.
    """
    from broker.records.encryption.keyring import remove_development_kek
    from broker.records.encryption.rotation import RetirementRefused, retire

    settings = load_settings()
    keyring = _keyring(settings)
    with _database(settings, {RetirementRefused: 1}, prefix="refused") as database, database.unit_of_work() as session:
        retire(session, keyring, kek_id)
    if remove_development_kek(settings, kek_id):
        typer.echo(f"KEK {kek_id} retired and removed from the development key file")
    else:
        typer.echo(f"KEK {kek_id} retired; remove it from BROKER_KEKS on every process and destroy it")


@keys_app.command("shred")
def keys_shred(
    subject_id: str = typer.Argument(..., help="The child's (subject's) id."),
    reason: str = typer.Option(..., "--reason", help="Why, for the audit log (for example an erasure request reference)."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Erase everything stored about a child by destroying their data key (cannot be undone).

    Every stored record item of the child becomes unreadable at once.  The erasure is audited.
    """
    from broker.platform.errors import BrokerError
    from broker.records.encryption.service import RecordEncryption, purge_write_ahead_log, shred_subject

    try:
        subject = uuid.UUID(subject_id)
    except ValueError:
        typer.echo(f"error: {subject_id!r} is not a subject id (a UUID)", err=True)
        raise typer.Exit(2) from None
    if not yes:
        typer.confirm(f"Erase every stored record of subject {subject}? This cannot be undone", abort=True)
    settings = load_settings()
    encryption = RecordEncryption(_keyring(settings))
    with _database(settings, {BrokerError: 1}) as database:
        with database.unit_of_work() as session:
            destroyed = shred_subject(
                session, encryption, subject, reason=reason, actor_username=getpass.getuser(), actor_role="operator",
            )
        purge_write_ahead_log(database.engine)
    typer.echo(f"subject {subject}: {len(destroyed)} data key(s) destroyed; their records can no longer be read")
