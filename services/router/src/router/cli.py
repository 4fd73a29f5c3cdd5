"""``router`` command line: serve, migrate, simulate."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from leadflow_common.cli_errors import check_schema, infra_errors
from leadflow_common.topics import GHL_EVENTS, LEADS_ASSIGNED, LOCATIONS
from leadflow_common.typer_commands import add_dlt_commands, add_revision_command
from router.cli_policy import policy_app
from router.cli_routes import routes_app
from router.settings import RouterSettings

SERVICE = "router"

app = typer.Typer(help="leadflow router: assigns every lead to the right franchise location")
app.add_typer(routes_app, name="routes")
app.add_typer(policy_app, name="policy")
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


add_revision_command(app, MIGRATIONS, lambda: (RouterSettings().database_url, RouterSettings().db_schema))


@app.command()
def simulate(
    leads: Annotated[Path, typer.Argument(exists=True, help="CSV of historic leads")],
    locations: Annotated[Path, typer.Argument(exists=True, help="CSV of locations")],
    radius: Annotated[list[float] | None, typer.Option(help="radius step in miles (repeat)")] = None,
    threshold: Annotated[float | None, typer.Option(help="capacity threshold")] = None,
    policy_file: Annotated[
        Path | None,
        typer.Option("--policy", exists=True, help="routing policy JSON (default: the settings')"),
    ] = None,
) -> None:
    """Replay leads against a location set; print distribution, unassigned rate, distances.
    (Two policies side by side: ``router policy diff``.)"""
    from dataclasses import replace

    from router.adapters.gazetteer import default_gazetteer
    from router.domain.directory import InMemoryDirectory
    from router.domain.simulation import simulate as run
    from router.simulate_csv import format_report, read_leads, read_locations

    settings = RouterSettings()
    document = settings.policy_document()
    if policy_file is not None:
        from router.cli_policy import read_policy

        document = read_policy(policy_file)
    policy = document.routing_policy()
    if radius:
        policy = replace(policy, radii_miles=tuple(radius))
    if threshold is not None:
        policy = replace(policy, threshold=threshold)
    gazetteer = default_gazetteer()
    directory = InMemoryDirectory(read_locations(locations, gazetteer))
    report = run(read_leads(leads), directory, gazetteer, policy, document.score_weights())
    typer.echo(format_report(report))


@app.command()
def reconcile(
    once: Annotated[bool, typer.Option("--once", help="one pass, then exit (else every interval)")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="list and report; publish nothing")] = False,
) -> None:
    """Route intake contacts whose webhook never came: list them in GHL, publish the undecided."""
    import orjson

    from leadflow_common.ghl import GhlSettings
    from leadflow_common.logging import configure_logging
    from router.reconcile_worker import run_forever, standalone, summary

    async def main() -> None:
        settings = RouterSettings()
        configure_logging("router", settings.telemetry.log_level, settings.telemetry.log_json)
        await check_schema(settings.database_url, settings.db_schema, SERVICE, MIGRATIONS)
        async with standalone(settings, GhlSettings()) as reconciler:
            if once or dry_run:
                reports = await reconciler.run_once(dry_run=dry_run)
                typer.echo(orjson.dumps(summary(reports), option=orjson.OPT_INDENT_2).decode())
            else:
                await run_forever(reconciler, settings.contact_reconcile_interval_s)

    with infra_errors(SERVICE):
        asyncio.run(main())


add_dlt_commands(app, SERVICE, (GHL_EVENTS, LEADS_ASSIGNED, LOCATIONS))  # what its consumer groups read
