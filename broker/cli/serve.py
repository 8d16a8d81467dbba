"""``broker serve``: the broker over HTTP."""

from __future__ import annotations

import typer

from broker.cli.common import load_settings

app = typer.Typer()


@app.command()
def serve(
    host: str = typer.Option(None, help="Address to listen on (default: BROKER_HOST, 127.0.0.1)."),
    port: int = typer.Option(None, help="Port to listen on (default: BROKER_PORT, 8000)."),
    workers: int = typer.Option(1, min=1, help="Worker processes (use more than one on PostgreSQL only)."),
) -> None:
    """Serve the broker over HTTP."""
    import uvicorn

    settings = load_settings()
    from broker.platform.logging import configure_logging

    configure_logging(settings.log_level)
    uvicorn.run(
        "broker.app:app_from_environment", factory=True,
        host=host or settings.host, port=port or settings.port, workers=workers,
        log_config=None, access_log=False, proxy_headers=settings.is_production,
    )
