"""`ingest serve`: the app on uvicorn, marking itself not ready as soon as a stop signal arrives."""

from __future__ import annotations

from types import FrameType

import typer
import uvicorn

from ingest.main import create_app
from ingest.settings import IngestSettings

app = typer.Typer(help="leadflow ingest: GHL webhooks → Kafka", no_args_is_help=True)


class DrainingServer(uvicorn.Server):
    """Readiness goes false on SIGTERM before uvicorn stops accepting and drains in-flight requests."""

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        readiness = getattr(getattr(self.config.loaded_app, "state", None), "readiness", None)
        if readiness is None:
            readiness = getattr(getattr(self.config.app, "state", None), "readiness", None)
        if readiness is not None:
            readiness.draining = True
        super().handle_exit(sig, frame)


def server_for(settings: IngestSettings, host: str | None = None, port: int | None = None) -> DrainingServer:
    config = uvicorn.Config(
        create_app(settings),
        host=host or settings.http_host,
        port=port or settings.http_port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=False,
        # Ingest reads no client address; skipping X-Forwarded-* rewriting saves a middleware hop.
        proxy_headers=False,
        log_config=None,
        timeout_graceful_shutdown=int(settings.shutdown_drain_s) or None,
    )
    return DrainingServer(config)


@app.command()
def serve(host: str | None = None, port: int | None = None) -> None:
    """Serve the webhook endpoint (default 127.0.0.1:8001; INGEST_HTTP_HOST / INGEST_HTTP_PORT)."""
    server_for(IngestSettings(), host, port).run()


@app.command()
def openapi() -> None:
    """Print the OpenAPI document."""
    import json

    # Verification on (the bundled keys): off would log a warning onto stdout, into the document.
    settings = IngestSettings()
    typer.echo(json.dumps(create_app(settings, configure=False).api.openapi(), indent=2))


@app.command()
def migrate() -> None:
    """Ingest keeps no tables (Redis only): nothing to migrate."""
    typer.echo("ingest has no database schema; nothing to migrate")
