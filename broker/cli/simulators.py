"""``broker simulators``: the simulated source systems."""

from __future__ import annotations

import typer

from broker.cli.common import load_settings, refuse_outside_development

simulators_app = typer.Typer(help="The simulated source systems (education, social care, educational psychology) for development.", no_args_is_help=True)


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
    from broker.platform.settings import EMBEDDED_SIMULATOR_SECRET

    settings = load_settings()
    refuse_outside_development(settings)
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
