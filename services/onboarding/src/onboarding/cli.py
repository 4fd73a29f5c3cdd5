"""The onboarding command line: serve, migrate, import, adopt, status, retry.

Every command answers an unreachable Kafka/Postgres/Redis/GHL or a missing schema with one line
saying what to run, and exit code 2 (leadflow_common.cli_errors)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from leadflow_common.cli_errors import check_schema, infra_errors
from leadflow_common.events.envelope import EventPayload
from leadflow_common.events.onboarding import RetryOnboarding
from leadflow_common.topics import ONBOARDING_COMMANDS
from leadflow_common.typer_commands import add_dlt_commands, add_revision_command
from onboarding import importer
from onboarding.directory.cli import location_app
from onboarding.domain.location import location_key
from onboarding.domain.saga import SagaStatus
from onboarding.report import print_locations, print_report
from onboarding.settings import OnboardingSettings

app = typer.Typer(
    help="Onboard franchise locations into GoHighLevel.", no_args_is_help=True, pretty_exceptions_enable=False
)
app.add_typer(location_app, name="location")
console = Console()
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
SERVICE = "onboarding"


def _publish_with_progress(settings: OnboardingSettings, commands: list[tuple[str, EventPayload]]) -> None:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    progress = Progress(*columns, console=console)
    task = progress.add_task("publishing commands", total=len(commands))
    try:  # the bar appears once Kafka answered, so an unreachable broker prints only its one line
        asyncio.run(
            importer.publish_commands(settings, commands, lambda: progress.advance(task), progress.start)
        )
    finally:
        progress.stop()
    console.print(f"[green]{len(commands)} command(s) published[/green]")


def _import(path: Path, dry_run: bool, adopt: bool) -> None:
    settings = OnboardingSettings()
    with infra_errors(SERVICE):
        report = asyncio.run(importer.validate_file(settings, path, adopt))
    print_report(console, report, str(path))
    if not report.ok:
        console.print("[red]Nothing was sent: fix the problems above and import the file again.[/red]")
        raise typer.Exit(1)
    if dry_run:
        console.print("[green]Dry run: the file is valid, nothing was sent.[/green]")
        return
    with infra_errors(SERVICE):
        _publish_with_progress(settings, importer.keyed(report.valid))


@app.command("import")
def import_locations(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="locations CSV")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="only validate")] = False,
) -> None:
    """Validate a CSV of new locations; when every row is valid, send one OnboardLocation per row."""
    _import(file, dry_run, adopt=False)


@app.command()
def adopt(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="CSV with a GHL Location Id column")
    ],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="only validate")] = False,
) -> None:
    """Register already-live GHL sub-accounts (creates nothing in GHL)."""
    _import(file, dry_run, adopt=True)


@app.command()
def status(
    key: Annotated[str | None, typer.Argument(help="franchise code")] = None,
    only: Annotated[SagaStatus | None, typer.Option("--status", help="filter by status")] = None,
) -> None:
    """Show locations and where their onboarding stands."""
    with infra_errors(SERVICE):
        locations = asyncio.run(importer.list_locations(OnboardingSettings(), only))
    if key is not None:
        locations = [loc for loc in locations if loc.location_id == location_key(key)]
    print_locations(console, locations)


@app.command()
def retry(
    keys: Annotated[list[str] | None, typer.Argument(help="franchise codes")] = None,
    all_failed: Annotated[bool, typer.Option("--all-failed", help="every failed location")] = False,
    all_quarantined: Annotated[
        bool, typer.Option("--all-quarantined", help="every quarantined location")
    ] = False,
) -> None:
    """Restart failed onboardings from their failed step; verify quarantined locations again."""
    settings = OnboardingSettings()
    targets = [location_key(k) for k in keys or []]
    with infra_errors(SERVICE):
        for wanted, status in ((all_failed, SagaStatus.FAILED), (all_quarantined, SagaStatus.QUARANTINED)):
            if wanted:
                targets += [loc.location_id for loc in asyncio.run(importer.list_locations(settings, status))]
        if not targets:
            console.print("nothing to retry")
            raise typer.Exit(1)
        commands: list[tuple[str, EventPayload]] = [
            (k, RetryOnboarding(location_id=k)) for k in dict.fromkeys(targets)
        ]
        _publish_with_progress(settings, commands)


@app.command()
def migrate() -> None:
    """Upgrade the onboarding schema to the latest migration."""
    from leadflow_common.migrations import upgrade

    settings = OnboardingSettings()
    with infra_errors(SERVICE):
        upgrade(MIGRATIONS, settings.database_url, settings.db_schema)
    console.print(f"schema {settings.db_schema} is up to date")


add_revision_command(
    app, MIGRATIONS, lambda: (OnboardingSettings().database_url, OnboardingSettings().db_schema)
)


@app.command()
def serve() -> None:
    """Run the service: command consumer, saga runners, status API on the HTTP port."""
    import uvicorn

    from onboarding.main import create_app

    settings = OnboardingSettings()
    with infra_errors(SERVICE):
        asyncio.run(_preflight(settings))
    uvicorn.run(create_app(settings), host=settings.http_host, port=settings.http_port, log_config=None)


async def _preflight(settings: OnboardingSettings) -> None:
    """What the lifespan needs, checked before uvicorn (which would print its own traceback)."""
    from leadflow_common.kafka.broker import make_broker
    from leadflow_common.redis import make_redis

    await check_schema(settings.database_url, settings.db_schema, SERVICE, MIGRATIONS)
    redis = make_redis(settings.redis)
    try:
        await redis.ping()
    finally:
        await redis.aclose()
    broker = make_broker(settings.kafka, f"{settings.service_name}-preflight")
    try:
        await broker.connect()
    finally:
        await broker.stop()


add_dlt_commands(
    app,
    SERVICE,
    (ONBOARDING_COMMANDS,),  # what the onboarding consumer group reads
    replay_help="Commands carry no event-id dedup: a replayed old UpdateLocation applies again."
    " Dry-run first.",
)


if __name__ == "__main__":
    app()
