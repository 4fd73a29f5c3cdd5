"""analytics CLI: serve, migrate, rebuild."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer
import uvicorn

from analytics.settings import AnalyticsSettings
from leadflow_common.cli_errors import check_schema, infra_errors
from leadflow_common.migrations import upgrade

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


@app.command()
def revision(
    message: str = typer.Option(..., "-m", "--message", help="what the migration does"),
    autogenerate: bool = typer.Option(
        False, help="write the difference between the tables and the database schema (at head)"
    ),
) -> None:
    """Write the next migration into migrations/versions (alembic revision; no database needed)."""
    from leadflow_common.migrations import revision as new_revision

    settings = AnalyticsSettings()
    path = new_revision(
        MIGRATIONS, settings.database_url, settings.db_schema, message, autogenerate=autogenerate
    )
    typer.echo(f"wrote {path}")


@app.command()
def rebuild(batch_size: int = typer.Option(500, min=1)) -> None:
    """Replay every topic from offset 0 into fresh tables and swap them in atomically."""
    from analytics.rebuild import run_rebuild

    result = asyncio.run(run_rebuild(AnalyticsSettings(), MIGRATIONS, batch_size))
    typer.echo(f"rebuilt {result.schema}: {result.records} records replayed in {result.seconds:.1f}s")
