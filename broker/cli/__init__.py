"""The ``broker`` command line: one module per command group, assembled here."""

from __future__ import annotations

import typer

from broker.cli import accounts, audit, consent, database, demo, development, keys, records, schools, serve, simulators

app = typer.Typer(
    help="The SEND consent broker: serve the service, migrate its database, load demo data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.registered_commands += serve.app.registered_commands + development.app.registered_commands
app.add_typer(database.db_app, name="db")
app.add_typer(accounts.accounts_app, name="accounts")
app.add_typer(demo.demo_app, name="demo")
app.add_typer(keys.keys_app, name="keys")
app.add_typer(records.retention_app, name="retention")
app.add_typer(records.sar_app, name="sar")
app.add_typer(schools.schools_app, name="schools")
app.add_typer(consent.consent_app, name="consent")
app.add_typer(audit.audit_app, name="audit")
app.add_typer(simulators.simulators_app, name="simulators")


def main() -> None:
    app()
