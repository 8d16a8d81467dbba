"""The ``broker`` command line."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import typer

from broker.encryption.cli import keys_app
from broker.records_cli import retention_app, sar_app
from broker.schools_cli import schools_app
from broker.settings import Settings

app = typer.Typer(
    help="The SEND consent broker: serve the service, migrate its database, load demo data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Manage the database schema.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data for the embedded default (development only).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(keys_app, name="keys")
app.add_typer(retention_app, name="retention")
app.add_typer(sar_app, name="sar")
app.add_typer(schools_app, name="schools")
consent_app = typer.Typer(help="Family permissions (consents) and consent requests.", no_args_is_help=True)
app.add_typer(consent_app, name="consent")
audit_app = typer.Typer(
    help="The tamper-evident audit log: verify it, export entries with proofs, sign a checkpoint.",
    no_args_is_help=True,
)
app.add_typer(audit_app, name="audit")


simulators_app = typer.Typer(
    help="The simulated source systems (education, social care, educational psychology) for development.",
    no_args_is_help=True,
)
app.add_typer(simulators_app, name="simulators")


@simulators_app.command("serve")
def simulators_serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    education_port: int = typer.Option(8101, help="Port for the education system (CTF XML)."),
    social_care_port: int = typer.Option(8102, help="Port for the social care system (JSON REST)."),
    ep_port: int = typer.Option(8103, help="Port for the educational psychology records system."),
    seed: int = typer.Option(None, help="Seed of the synthetic population (default: the shared demo seed)."),
    client_secret: str = typer.Option(
        None, envvar="BROKER_SIMULATOR_CLIENT_SECRET",
        help="Client secret the simulators accept (default: the development secret)."),
) -> None:
    """Run the three simulators, each on its own port, until interrupted.

    Point the broker at them with BROKER_SOURCE_SYSTEMS (see the README) and
    BROKER_EMBEDDED_SIMULATORS=false.
    """
    import asyncio

    import uvicorn

    from adapters.simulators import create_simulator
    from adapters.simulators.common import SimulatorCredentials
    from broker.settings import EMBEDDED_SIMULATOR_SECRET

    settings = _settings()
    _refuse_outside_development(settings)
    credentials = SimulatorCredentials("broker", client_secret or EMBEDDED_SIMULATOR_SECRET)
    ports = {"education": education_port, "social_care": social_care_port, "educational_psychology": ep_port}
    servers = []
    for kind, port in ports.items():
        typer.echo(f"building the {kind} simulator on http://{host}:{port} ...")
        servers.append(uvicorn.Server(uvicorn.Config(
            create_simulator(kind, credentials, seed=seed), host=host, port=port, log_config=None, access_log=False)))

    async def serve_all() -> None:
        await asyncio.gather(*(server.serve() for server in servers))

    typer.echo("serving; press Ctrl+C to stop")
    asyncio.run(serve_all())


def _settings() -> Settings:
    try:
        return Settings()
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


@app.command()
def serve(
    host: str = typer.Option(None, help="Address to listen on (default: BROKER_HOST, 127.0.0.1)."),
    port: int = typer.Option(None, help="Port to listen on (default: BROKER_PORT, 8000)."),
    workers: int = typer.Option(1, min=1, help="Worker processes (use more than one on PostgreSQL only)."),
) -> None:
    """Serve the broker over HTTP."""
    import uvicorn

    settings = _settings()
    from broker.logging import configure_logging

    configure_logging(settings.log_level)
    uvicorn.run(
        "broker.app:app_from_environment", factory=True,
        host=host or settings.host, port=port or settings.port, workers=workers,
        log_config=None, access_log=False, proxy_headers=settings.is_production,
    )


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Revision to upgrade to.")) -> None:
    """Create or migrate the database schema to the latest revision."""
    from broker.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url, revision)
    typer.echo(f"database at revision {revision}")


@db_app.command("current")
def db_current() -> None:
    """Print the revision the database is at, and the revision the code expects."""
    from broker.db import create_database_engine
    from broker.migrate import current_revisions, script_heads

    engine = create_database_engine(_settings().database_url)
    typer.echo(json.dumps({"database": list(current_revisions(engine)), "code": list(script_heads())}))
    engine.dispose()


@db_app.command("grant-app-role")
def db_grant_app_role(role: str = typer.Argument(..., help="An existing PostgreSQL role the broker will connect as.")) -> None:
    """Grant ROLE what the broker needs (PostgreSQL): on the audit log only reading and appending."""
    from broker.db import create_database_engine
    from broker.db_roles import grant_application_role

    engine = create_database_engine(_settings().database_url)
    try:
        grant_application_role(engine, role)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    finally:
        engine.dispose()
    typer.echo(f"granted {role} the broker's privileges; on the audit log: SELECT and INSERT only")


def _refuse_outside_development(settings: Settings) -> None:
    if settings.is_production:
        typer.echo("error: demo data is for development only (BROKER_ENVIRONMENT=production)", err=True)
        raise typer.Exit(2)


@demo_app.command("seed")
def demo_seed() -> None:
    """Load the demo council, families and staff accounts (safe to run again: adds only what is missing)."""
    from broker.db import Database
    from broker.demo import seed

    settings = _settings()
    _refuse_outside_development(settings)
    database = Database(settings)
    with database.unit_of_work() as session:
        added = seed(session)
    database.dispose()
    typer.echo("demo data: " + ", ".join(f"{n} {kind} added" for kind, n in added.items()))


@demo_app.command("users")
def demo_users(
    table: bool = typer.Option(False, "--table", help="Print a readable table instead of JSON."),
) -> None:
    """Print the demo accounts as JSON: username, role, organisation and, for families, their children's ids."""
    from broker.db import Database
    from broker.demo import list_users

    settings = _settings()
    _refuse_outside_development(settings)
    database = Database(settings)
    with database.unit_of_work() as session:
        users = list_users(session, date.today())
    database.dispose()
    if not table:
        typer.echo(json.dumps(users, indent=2))
        return
    for user in users:
        where = user["organisation"] or f"family, decides for {len(user.get('children', []))} child(ren)"
        typer.echo(f"  {user['username']:<20} {user['role']:<18} {where}")


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
    from broker import auditing
    from broker.db import Database, read_one_snapshot

    settings = _settings()
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

    from audit import repository
    from audit.events import AuditEvent
    from broker import auditing
    from broker.db import Database

    if fmt not in ("jsonl", "csv"):
        typer.echo("error: --format must be jsonl or csv", err=True)
        raise typer.Exit(2)
    if fmt == "csv" and output.name == "<stdout>":
        typer.echo("error: a CSV export needs --output (its checkpoint is written beside it)", err=True)
        raise typer.Exit(2)
    since, until = (_as_utc(t) for t in (since, until))
    settings = _settings()
    database = Database(settings)
    filters = {"subject_id": subject, "actor_user_id": actor, "actor_organisation_id": organisation,
               "event_types": event_type, "since": since, "until": until}
    with database.unit_of_work() as session:
        auditing.record(session, AuditEvent(
            event_type="audit.exported", outcome="success", actor_username=requested_by or getpass.getuser(),
            actor_role="operator", reason="broker audit export",
            details={"format": fmt, **{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in filters.items() if v}},
        ))
        checkpoint = auditing.sign_checkpoint(session, settings)
    with database.sessions() as session:
        entries = repository.find_entries(session, **filters, seqs_below=checkpoint.tree_size)
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
    from broker import auditing
    from broker.db import Database

    settings = _settings()
    database = Database(settings)
    with database.unit_of_work() as session:
        checkpoint = auditing.sign_checkpoint(session, settings)
    database.dispose()
    typer.echo(checkpoint.note, nl=False)


@audit_app.command("verifier-key")
def audit_verifier_key() -> None:
    """Print the key that verifies this broker's checkpoints (give it to whoever checks the log)."""
    from broker import auditing

    typer.echo(auditing.verifier_key(_settings()))


def _as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@app.command("dev-token")
def dev_token(
    username: str = typer.Argument(..., help="A demo account, e.g. sen.caseworker (see `broker demo users`)."),
    ttl: int = typer.Option(3600, "--ttl", min=1, max=86400, help="Lifetime of the token in seconds."),
) -> None:
    """Print an access token for a demo account (development only), for use as `Authorization: Bearer ...`."""
    from sqlalchemy import select

    from broker.auth.development import DevelopmentProviderRefused, issue_dev_token
    from broker.db import Database
    from broker.models import User

    settings = _settings()
    database = Database(settings)
    try:
        with database.unit_of_work() as session:
            user = session.scalars(select(User).where(User.username == username)).one_or_none()
            if user is None:
                typer.echo(f"error: no account called {username!r}; `broker demo users` lists them", err=True)
                raise typer.Exit(1)
            token = issue_dev_token(settings, user, ttl_seconds=ttl)
    except DevelopmentProviderRefused as exc:
        typer.echo(f"error: {exc} (BROKER_ENVIRONMENT={settings.environment})", err=True)
        raise typer.Exit(2) from None
    finally:
        database.dispose()
    typer.echo(token)


@consent_app.command("transition")
def consent_transition() -> None:
    """Hand decisions to young people who have reached the end of compulsory school age.

    For every such young person, the permissions their parents gave stop (recorded as expired on
    that date) and a consent request goes to the young person, who is told. Safe to run daily, and
    to run twice: what is already done is not done again. Every step is audited.
    """
    from broker.consent_actions import transition
    from broker.db import Database

    settings = _settings()
    database = Database(settings)
    with database.unit_of_work() as session:
        done = transition(session, settings.public_url)
        for number, item in enumerate(done, start=1):
            typer.echo(f"  [{number}/{len(done)}] permission {item.consent_id}: expired; "
                       f"{len(item.requests)} request(s) raised to the young person")
    database.dispose()
    typer.echo(f"transition: {len(done)} parental permission(s) handed to young people")
@app.command("dev-client")
def dev_client(
    client_id: str = typer.Argument(..., help="A machine client: the username of a system account, e.g. education.system."),
) -> None:
    """Print the client id and secret a machine client uses with the development provider (development only).

    Exchange them for an access token with the OAuth 2.0 client credentials grant:
    `curl -u CLIENT_ID:SECRET -d grant_type=client_credentials http://127.0.0.1:8000/dev-idp/token`
    """
    from sqlalchemy import select

    from broker.auth.development import DevelopmentProviderRefused, dev_client_secret, dev_issuer_url
    from broker.db import Database
    from broker.models import User

    settings = _settings()
    database = Database(settings)
    try:
        with database.unit_of_work() as session:
            user = session.scalars(select(User).where(User.username == client_id)).one_or_none()
            if user is None or user.role != "system":
                typer.echo(f"error: no system account called {client_id!r}; `broker demo users` lists them", err=True)
                raise typer.Exit(1)
            secret = dev_client_secret(settings, client_id)
    except DevelopmentProviderRefused as exc:
        typer.echo(f"error: {exc} (BROKER_ENVIRONMENT={settings.environment})", err=True)
        raise typer.Exit(2) from None
    finally:
        database.dispose()
    typer.echo(json.dumps({
        "client_id": client_id, "client_secret": secret, "token_endpoint": dev_issuer_url(settings) + "/token",
    }, indent=2))


def main() -> None:
    app()
