"""``router`` command line: serve, migrate, simulate."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from leadflow_common.cli_errors import check_schema, infra_errors
from leadflow_common.topics import GHL_EVENTS, LEADS_ASSIGNED, LOCATIONS
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


dlt = typer.Typer(help="the dead-letter topics of the router's consumers: list, replay after a fix")
app.add_typer(dlt, name="dlt")
TopicOption = Annotated[
    list[str] | None, typer.Option("--topic", help="original topic (repeat; default: all the router reads)")
]
FirstOption = Annotated[int, typer.Option("--first", min=0, help="records shown")]
TimeoutOption = Annotated[float, typer.Option("--timeout", min=1, help="seconds before stopping")]
CONSUMED = (GHL_EVENTS, LEADS_ASSIGNED, LOCATIONS)  # what the router's consumer groups read


@dlt.command("list")
def dlt_list(
    topic: TopicOption = None,
    since: Annotated[str | None, typer.Option(help="dead-lettered since: 2h, 7d or an ISO time")] = None,
    first: FirstOption = 0,
    timeout: TimeoutOption = 60.0,
) -> None:
    """Dead letters by original topic and error class (count, first, last, a sample message)."""
    from leadflow_common.kafka import dlt_cli
    from leadflow_common.settings import KafkaSettings

    dlt_cli.run(SERVICE, lambda: dlt_cli.dlt_list(KafkaSettings(), CONSUMED, topic, since, first, timeout))


@dlt.command("replay")
def dlt_replay(
    topic: TopicOption = None,
    error_class: Annotated[str | None, typer.Option(help="e.g. ValueError or builtins.ValueError")] = None,
    message: Annotated[str | None, typer.Option(help="error message contains (any case)")] = None,
    since: Annotated[str | None, typer.Option(help="dead-lettered since: 2h, 7d or an ISO time")] = None,
    until: Annotated[str | None, typer.Option(help="dead-lettered until: 10m or an ISO time")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="report what would be replayed")] = False,
    from_beginning: Annotated[
        bool, typer.Option("--from-beginning", help="ignore what earlier replays with this filter did")
    ] = False,
    allow_compacted: Annotated[
        bool, typer.Option("--allow-compacted", help="replay locations.v1 too (stale values win)")
    ] = False,
    first: FirstOption = 10,
    timeout: TimeoutOption = 120.0,
) -> None:
    """Re-publish dead letters to their original topic (key, value, headers), once per filter."""
    from leadflow_common.kafka import dlt_cli
    from leadflow_common.settings import KafkaSettings

    dlt_cli.run(
        SERVICE,
        lambda: dlt_cli.dlt_replay(
            KafkaSettings(), CONSUMED, topic, error_class=error_class, message_contains=message,
            since=since, until=until, dry_run=dry_run, from_beginning=from_beginning,
            allow_compacted=allow_compacted, keep=first, timeout_s=timeout,
        ),
    )  # fmt: skip
