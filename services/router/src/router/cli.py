"""``router`` command line: serve, migrate, simulate."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from leadflow_common.cli_errors import check_schema, infra_errors
from router.settings import RouterSettings

SERVICE = "router"

app = typer.Typer(help="leadflow router: assigns every lead to the right franchise location")
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


@app.command()
def serve() -> None:
    """Run the HTTP API and the consumers."""
    import uvicorn

    from router.main import create_app

    with infra_errors(SERVICE):
        settings = RouterSettings()
        asyncio.run(check_schema(settings.database_url, settings.db_schema, SERVICE, MIGRATIONS))
    uvicorn.run(create_app(settings), host=settings.http_host, port=settings.http_port, log_config=None)


@app.command()
def migrate(revision: str = "head") -> None:
    """Upgrade the router schema."""
    from leadflow_common.migrations import upgrade

    with infra_errors(SERVICE):
        settings = RouterSettings()
        upgrade(MIGRATIONS, settings.database_url, settings.db_schema, revision)


@app.command()
def revision(
    message: str = typer.Option(..., "-m", "--message", help="what the migration does"),
    autogenerate: bool = typer.Option(
        False, help="write the difference between the tables and the database schema (at head)"
    ),
) -> None:
    """Write the next migration into migrations/versions (alembic revision; no database needed)."""
    from leadflow_common.migrations import revision as new_revision

    settings = RouterSettings()
    path = new_revision(
        MIGRATIONS, settings.database_url, settings.db_schema, message, autogenerate=autogenerate
    )
    typer.echo(f"wrote {path}")


@app.command()
def simulate(
    leads: Annotated[Path, typer.Argument(exists=True, help="CSV of historic leads")],
    locations: Annotated[Path, typer.Argument(exists=True, help="CSV of locations")],
    radius: Annotated[list[float] | None, typer.Option(help="radius step in miles (repeat)")] = None,
    threshold: Annotated[float | None, typer.Option(help="capacity threshold")] = None,
) -> None:
    """Replay leads against a location set; print distribution, unassigned rate, distances."""
    from dataclasses import replace

    from router.adapters.gazetteer import default_gazetteer
    from router.domain.directory import InMemoryDirectory
    from router.domain.simulation import simulate as run
    from router.simulate_csv import format_report, read_leads, read_locations

    settings = RouterSettings()
    policy = settings.routing_policy()
    if radius:
        policy = replace(policy, radii_miles=tuple(radius))
    if threshold is not None:
        policy = replace(policy, threshold=threshold)
    gazetteer = default_gazetteer()
    directory = InMemoryDirectory(read_locations(locations, gazetteer))
    report = run(read_leads(leads), directory, gazetteer, policy, settings.score_weights())
    typer.echo(format_report(report))
