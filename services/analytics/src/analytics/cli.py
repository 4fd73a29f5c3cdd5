"""analytics CLI: serve, migrate, rebuild."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer
import uvicorn

from analytics.consumer import CONSUMED_TOPICS
from analytics.settings import AnalyticsSettings
from leadflow_common.cli_errors import check_schema, infra_errors
from leadflow_common.migrations import upgrade
from leadflow_common.typer_commands import add_dlt_commands, add_revision_command

SERVICE = "analytics"

app = typer.Typer(
    help="leadflow analytics: per-location projections and dashboard APIs", no_args_is_help=True
)
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


@app.command()
def serve() -> None:
    """Run the API (and, unless ANALYTICS_CONSUME=false, the batch consumer) with uvicorn."""
    from analytics.main import create_app

    with infra_errors(SERVICE):
        settings = AnalyticsSettings()
        asyncio.run(check_schema(settings.database_url, settings.db_schema, SERVICE, MIGRATIONS))
    uvicorn.run(create_app(settings), host=settings.http_host, port=settings.http_port, log_config=None)


@app.command()
def migrate(revision: str = "head") -> None:
    """Upgrade the analytics schema."""
    with infra_errors(SERVICE):
        settings = AnalyticsSettings()
        upgrade(MIGRATIONS, settings.database_url, settings.db_schema, revision)
    typer.echo(f"schema {settings.db_schema} at {revision}")


add_revision_command(
    app, MIGRATIONS, lambda: (AnalyticsSettings().database_url, AnalyticsSettings().db_schema)
)


@app.command()
def rebuild(batch_size: int = typer.Option(500, min=1)) -> None:
    """Replay every topic from offset 0 into fresh tables and swap them in atomically."""
    from analytics.rebuild import run_rebuild

    result = asyncio.run(run_rebuild(AnalyticsSettings(), MIGRATIONS, batch_size))
    typer.echo(f"rebuilt {result.schema}: {result.records} records replayed in {result.seconds:.1f}s")


add_dlt_commands(app, SERVICE, CONSUMED_TOPICS)
