"""``onboarding location …``: the location-management use cases from the terminal, through the
same LocationDirectory as the HTTP API (Postgres + locations.v1 directly, no HTTP in between).

A refused change prints one line (``onboarding: …``) and exits 1; unreachable infrastructure exits
2 (leadflow_common.cli_errors)."""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer
from rich.console import Console

from leadflow_common.cli_errors import infra_errors
from leadflow_common.db import make_engine, make_sessionmaker
from leadflow_common.kafka.broker import make_broker
from leadflow_common.kafka.publisher import EventPublisher
from leadflow_common.logging import configure_logging
from onboarding.adapters.events import KafkaEventSink
from onboarding.csv_source import read_csv
from onboarding.directory import render
from onboarding.directory.bulk import bulk_update
from onboarding.directory.service import LocationDirectory, Outcome, UnknownLocation
from onboarding.domain.location import Location
from onboarding.domain.location_changes import ChangeConflict, ChangeInvalid
from onboarding.domain.saga import SagaStatus
from onboarding.settings import OnboardingSettings

SERVICE = "onboarding"
T = TypeVar("T")
location_app = typer.Typer(help="Change live locations: capacity, hours, territory, pause, resume, offboard.",
                           no_args_is_help=True)  # fmt: skip
console = Console()
err = Console(stderr=True)
OPTION_OF = {"daily_capacity": "--capacity", "hours": "--hours", "closed_dates": "--closed-dates",
             "territory_zips": "--territory-zips", "routing_weight": "--routing-weight",
             "radius_override_miles": "--radius-override-miles",
             "status": "--status", "until": "--until", "body": "options"}  # fmt: skip


@location_app.callback()
def _quiet_logs() -> None:
    """The service's log lines go to stderr and only from warnings up: stdout is the answer."""
    configure_logging(SERVICE, "WARNING", json=False)


def default_actor() -> str:
    return f"cli:{getpass.getuser()}"


ActorOption = Annotated[str, typer.Option("--actor", help="who makes the change (recorded in the audit)")]
ReasonOption = Annotated[str | None, typer.Option("--reason", help="why (recorded in the audit)")]


class _NoPublishing:
    """Read-only commands never publish; reaching this is a bug."""

    async def profile(self, location: Location) -> None:
        raise RuntimeError("read-only command tried to publish")

    async def tombstone(self, location_id: str) -> None:
        raise RuntimeError("read-only command tried to publish")


@asynccontextmanager
async def opened(publish: bool) -> AsyncIterator[LocationDirectory]:
    settings = OnboardingSettings()
    engine = make_engine(settings.database_url, settings.db_schema, pool_size=1)
    broker = make_broker(settings.kafka, f"{settings.service_name}-cli") if publish else None
    try:
        if broker is None:
            yield LocationDirectory(make_sessionmaker(engine), _NoPublishing())
            return
        await broker.start()
        sink = KafkaEventSink(
            EventPublisher(broker, f"{settings.service_name}-cli"), settings.default_timezone
        )
        yield LocationDirectory(make_sessionmaker(engine), sink)
    finally:
        if broker is not None:
            await broker.stop()
        await engine.dispose()


def refuse(message: str) -> NoReturn:
    err.print(f"{SERVICE}: {message}", markup=False, highlight=False)
    raise typer.Exit(1)


def run(use: Callable[[LocationDirectory], Awaitable[T]], publish: bool) -> T:
    """Run one use case; domain refusals become one line and exit 1."""

    async def go() -> T:
        async with opened(publish) as directory:
            return await use(directory)

    try:
        with infra_errors(SERVICE):
            return asyncio.run(go())
    except UnknownLocation as exc:
        refuse(f"no location {exc}")
    except ChangeInvalid as exc:
        refuse("; ".join(f"invalid {OPTION_OF.get(p.field, p.field)}: {p.message}" for p in exc.problems))
    except ChangeConflict as exc:
        refuse(f"refused: {exc}")


def _changed(outcome: Outcome) -> None:
    render.print_changes(console, outcome.location.location_id, outcome.changes)


@location_app.command("update")
def update(
    location_id: Annotated[str, typer.Argument(help="franchise code")],
    capacity: Annotated[
        str | None, typer.Option("--capacity", help="daily capacity (whole number > 0)")
    ] = None,
    hours: Annotated[
        str | None, typer.Option(help="e.g. 'Mon-Fri 06:00-21:00; Sun closed'; '' clears")
    ] = None,
    closed_dates: Annotated[str | None, typer.Option(help="ISO dates separated by ';'; '' clears")] = None,
    status: Annotated[str | None, typer.Option(help="active or paused")] = None,
    territory_zips: Annotated[
        str | None, typer.Option(help="zips owned exclusively, e.g. '10001,10002'; '' gives them up")
    ] = None,
    routing_weight: Annotated[str | None, typer.Option(help="weighted-policy share (0 < w <= 1000)")] = None,
    radius_override_miles: Annotated[
        str | None, typer.Option(help="takes leads only this near (0 < mi <= 200); '' removes it")
    ] = None,
    actor: ActorOption = "",
) -> None:
    """Change capacity, hours, closed dates, territory, routing weight, radius override or status,
    validated like the import CSV (a zip another live location owns is refused, naming it)."""
    cells = {"daily_capacity": capacity, "hours": hours, "closed_dates": closed_dates, "status": status,
             "territory_zips": territory_zips, "routing_weight": routing_weight,
             "radius_override_miles": radius_override_miles}  # fmt: skip
    _changed(run(lambda d: d.update(location_id, cells, actor or default_actor()), publish=True))


@location_app.command("pause")
def pause(
    location_id: Annotated[str, typer.Argument(help="franchise code")],
    reason: ReasonOption = None,
    until: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"], help="resume on this date")] = None,
    actor: ActorOption = "",
) -> None:
    """Take an active location out of routing (until a date, or until resumed)."""
    end: date | None = until.date() if until else None
    _changed(run(lambda d: d.pause(location_id, actor or default_actor(), reason, end), publish=True))


@location_app.command("resume")
def resume(
    location_id: Annotated[str, typer.Argument(help="franchise code")],
    reason: ReasonOption = None,
    actor: ActorOption = "",
) -> None:
    """Route leads to a paused location again."""
    _changed(run(lambda d: d.resume(location_id, actor or default_actor(), reason), publish=True))


@location_app.command("offboard")
def offboard(
    location_id: Annotated[str, typer.Argument(help="franchise code")],
    reason: ReasonOption = None,
    actor: ActorOption = "",
) -> None:
    """Remove a location from routing for good (its GHL sub-account is left alone)."""
    _changed(run(lambda d: d.offboard(location_id, actor or default_actor(), reason), publish=True))


@location_app.command("show")
def show(
    location_id: Annotated[str, typer.Argument(help="franchise code")],
    changes: Annotated[int, typer.Option("--changes", min=0, help="how many recent changes to list")] = 10,
) -> None:
    """A location's routing settings, its pause and its latest recorded changes."""

    async def use(d: LocationDirectory) -> None:
        location, paused = await d.get(location_id)
        render.print_settings(console, location, paused)
        if changes:
            render.print_history(console, await d.history(location_id, None, changes))

    run(use, publish=False)


@location_app.command("list")
def list_locations(
    status: Annotated[SagaStatus | None, typer.Option(help="only this status")] = None,
    state: Annotated[str | None, typer.Option(help="only this US state (two letters)")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 100,
    cursor: Annotated[str | None, typer.Option(help="continue after this location id")] = None,
    region: Annotated[str | None, typer.Option(help="only this region (any case)")] = None,
) -> None:
    """Locations with their routing settings (paged by id)."""
    from onboarding.domain import fields

    if state is not None:
        try:
            state = fields.state(state)
        except fields.FieldError as exc:
            refuse(f"invalid --state: {exc}")
    page = run(lambda d: d.page(status, state, cursor, limit, region), publish=False)
    render.print_page(console, page, limit)


@location_app.command("bulk-update")
def bulk(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV: Franchise Code + changes")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="only validate and show the diff")] = False,
    reason: ReasonOption = None,
    actor: ActorOption = "",
) -> None:
    """Apply a CSV of changes (Capacity Limit, Hours, Closed Dates, Territory Zips, Routing Weight,
    Radius Override Miles ('none' removes it), Status) all or nothing."""
    csv_file = read_csv(file)
    report = run(
        lambda d: bulk_update(d, csv_file.headers, csv_file.rows, actor or default_actor(), dry_run, reason),
        publish=not dry_run,
    )
    render.print_bulk(console, report, str(file), dry_run)
    if not report.ok:
        raise typer.Exit(1)
