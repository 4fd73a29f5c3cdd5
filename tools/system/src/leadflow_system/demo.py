"""The one-command demo: infra, GHL simulator, the four services, the sample franchise onboarded
from CSV (75 new + 25 adopted), a realistic stream of signed webhooks, and a summary.
Ctrl-C stops everything it started."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import time
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from devstack import stack
from devstack.errors import DevstackError
from devstack.paths import state_dir
from leadflow_common.kafka.admin import ensure_topics
from leadflow_system.leads import LeadStream, location_places
from leadflow_system.observe import RoutingOutcome, get_json, get_text, histogram_quantile, read_routing
from leadflow_system.processes import ProcessFailed, run_cli
from leadflow_system.reset import drop_redis_keys, drop_schemas, drop_topics
from leadflow_system.samples import EXISTING_LOCATIONS_CSV, NEW_LOCATIONS_CSV, count_rows, subset_csv
from leadflow_system.seed import contacts_of, existing_locations, seed
from leadflow_system.system import API_TOKEN, INTAKE_LOCATION_ID, MIGRATED, SERVICES, LocalSystem, venv_bin
from leadflow_system.traffic import deliver_all

# the router's GHL sync in a process of its own, as k8s and compose deploy it (decision 0016)
DEMO_PROCESSES = ("ghl-simulator", *SERVICES, "router-sync")

console = Console()


def step(message: str) -> None:
    console.print(f"[bold cyan]▶[/bold cyan] {message}")


async def prepare_namespace(env: dict[str, str], run_id: str) -> None:
    """Earlier demo runs' topics, schemas and keys go; this run's topics are created."""
    await drop_topics(env["KAFKA_BOOTSTRAP_SERVERS"], "demo", keep=run_id)
    for service in MIGRATED:
        await drop_schemas(env["DATABASE_URL"], f"{service}_demo%", keep=f"{service}_{run_id}")
    await drop_redis_keys(env["REDIS_URL"], "demo")
    await ensure_topics(env["KAFKA_BOOTSTRAP_SERVERS"])


def run_onboarding_cli(system: LocalSystem, *args: str) -> None:
    result = run_cli([venv_bin("onboarding"), *args], system.env())
    if result.returncode != 0:
        raise ProcessFailed(
            f"onboarding {' '.join(args)} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}"
        )
    console.print(result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "")


async def wait_for_locations(system: LocalSystem, expected: int, timeout_s: float) -> dict[str, int]:
    deadline = time.monotonic() + timeout_s
    counts: dict[str, int] = {}
    shown: dict[str, int] = {}
    while time.monotonic() < deadline:
        listing = await get_json(system.url("onboarding") + "/onboarding", API_TOKEN)
        counts = {}
        for item in listing.get("items", []):
            counts[item["status"]] = counts.get(item["status"], 0) + 1
        if counts != shown:
            console.print(f"  onboarding: {', '.join(f'{k} {v}' for k, v in sorted(counts.items()))}")
            shown = counts
        settled = sum(v for k, v in counts.items() if k in ("active", "quarantined", "failed"))
        if settled >= expected:
            break
        await asyncio.sleep(2)
    return counts


async def wait_for_sync(bootstrap: str, outcome: RoutingOutcome, timeout_s: float) -> RoutingOutcome:
    """GHL allows 100 calls per 10 s per sub-account and every sync tags the contact in the
    intake account (one call per lead that all leads share), so syncing trails routing; wait for
    it, within reason."""
    deadline = time.monotonic() + timeout_s
    while len(outcome.synced) < len(outcome.assigned) and time.monotonic() < deadline:
        console.print(f"  synced into sub-accounts: {len(outcome.synced)} of {len(outcome.assigned)}")
        await asyncio.sleep(5)
        outcome = await read_routing(bootstrap, outcome.decided, timeout_s=10)
    return outcome


async def run_demo(system: LocalSystem, leads: int, new_csv: Path, existing_csv: Path) -> None:
    new, existing = count_rows(new_csv), count_rows(existing_csv)
    step(f"onboarding the sample franchise: {new} new locations from CSV, {existing} existing ones adopted")
    run_onboarding_cli(system, "import", str(new_csv))
    seed(system.url("ghl-simulator"), locations=existing_locations(existing_csv))
    run_onboarding_cli(system, "adopt", str(existing_csv))
    counts = await wait_for_locations(system, new + existing, timeout_s=600)
    await asyncio.sleep(3)  # the router's directory follows locations.v1

    step(f"sending {leads} new contacts (plus duplicates) as signed webhooks to ingest")
    stream = LeadStream(
        INTAKE_LOCATION_ID,
        location_places([new_csv, existing_csv]),
        rng=random.Random(time.time_ns()),
    )
    contacts, follow_ups = stream.generate(leads)
    seed(system.url("ghl-simulator"), contacts=contacts_of(contacts))  # forms and ads created them in GHL
    ingest_url = system.url("ingest") + "/webhooks/ghl"
    statuses = await deliver_all(ingest_url, contacts)
    console.print(f"  ingest answered: {dict(statuses)}")
    bootstrap = system.infra_env["KAFKA_BOOTSTRAP_SERVERS"]
    outcome = await read_routing(bootstrap, leads, timeout_s=180)
    console.print(f"  routed {len(outcome.assigned)}, pooled {len(outcome.unassigned)}")
    step(f"sending {len(follow_ups)} follow-ups (opportunities won/lost, appointments)")
    follow_statuses = await deliver_all(ingest_url, follow_ups)
    console.print(f"  ingest answered: {dict(follow_statuses)}")
    outcome = await wait_for_sync(bootstrap, outcome, timeout_s=150)
    await print_summary(system, counts, outcome)


async def print_summary(system: LocalSystem, counts: dict[str, int], outcome: RoutingOutcome) -> None:
    table = Table(title="leadflow demo summary", show_header=False)
    table.add_row("locations active", str(counts.get("active", 0)))
    table.add_row(
        "locations quarantined / failed", f"{counts.get('quarantined', 0)} / {counts.get('failed', 0)}"
    )
    table.add_row("leads routed", str(len(outcome.assigned)))
    table.add_row("leads unassigned (pool)", str(len(outcome.unassigned)))
    table.add_row("leads synced into sub-accounts", str(len(outcome.synced)))
    metrics = await get_text(system.url("router") + "/metrics")
    p99 = histogram_quantile(metrics, "lead_routing_duration_seconds", 0.99)
    table.add_row("p99 routing latency", f"<= {p99 * 1000:.0f} ms" if p99 is not None else "n/a")
    with contextlib.suppress(Exception):
        overview = await get_json(system.url("analytics") + "/overview", API_TOKEN)
        totals = overview["totals"]
        table.add_row(
            "analytics: leads / won / appointments",
            f"{totals['leads']:.0f} / {totals['won']:.0f} / {totals['appointments']:.0f}",
        )
    console.print(table)

    rules = Table("rule that fired", "leads", title="routing decisions by rule")
    for rule, count in outcome.rules.most_common():
        rules.add_row(rule, str(count))
    console.print(rules)

    with contextlib.suppress(Exception):
        perf = await get_json(
            system.url("analytics") + "/locations/performance?sort=conversion_rate&order=desc&limit=200",
            API_TOKEN,
        )
        top = Table("location", "leads", "won", "conversion", title="top locations by conversion (3+ leads)")
        ranked = [i for i in perf.get("items", []) if i.get("counters", {}).get("leads", 0) >= 3]
        for item in ranked[:5]:
            counters = item.get("counters", {})
            top.add_row(
                f"{item['location_id']} {item.get('name', '')}",
                f"{counters.get('leads', 0):.0f}",
                f"{counters.get('won', 0):.0f}",
                f"{float(item.get('conversion_rate') or 0):.0%}",
            )
        console.print(top)
    console.print(f"dashboard: {system.url('analytics')}/dashboard#token={API_TOKEN}")
    console.print(
        f"APIs: analytics {system.url('analytics')}/docs · router {system.url('router')}/docs · "
        f"onboarding {system.url('onboarding')}/docs · ingest {system.url('ingest')}/docs · "
        f"GHL simulator {system.url('ghl-simulator')}"
    )


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(
    leads: int = typer.Option(500, help="new contacts to send"),
    new_locations: int = typer.Option(75, help="how many of the sample CSV's new locations to onboard"),
    adopted_locations: int = typer.Option(25, help="how many of the sample's live locations to adopt"),
    exit_after_summary: bool = typer.Option(False, help="stop everything after the summary"),
) -> None:
    """Run the whole system locally with the sample franchise."""
    run_id = "demo" + datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    os.environ["KAFKA_TOPIC_NAMESPACE"] = run_id
    step("infrastructure: Kafka (KRaft), PostgreSQL, Redis")
    try:
        env = stack.env_vars(stack.up(progress=lambda m: console.print(f"  {m}"), create_topics=False))
    except DevstackError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    env["KAFKA_TOPIC_NAMESPACE"] = run_id
    asyncio.run(prepare_namespace(env, run_id))
    logs = state_dir() / "logs" / run_id
    system = LocalSystem(env, logs, run_id, extra_env={"ROUTER_SYNC_ENABLED": "false"})
    signal.signal(signal.SIGTERM, _interrupt)
    system.log_dir.mkdir(parents=True, exist_ok=True)
    new_csv = subset_csv(NEW_LOCATIONS_CSV, system.log_dir / "new_locations.csv", new_locations)
    existing_csv = subset_csv(
        EXISTING_LOCATIONS_CSV, system.log_dir / "existing_locations.csv", adopted_locations
    )
    try:
        step("migrations: router, onboarding, analytics schemas")
        system.migrate()
        step("starting the GHL simulator and the four services (the router's GHL sync in its own process)")
        system.start(DEMO_PROCESSES)
        for name, proc in system.processes.items():
            console.print(f"  {name}: {system.url(name)}  (log: {proc.log_path})")
        asyncio.run(run_demo(system, leads, new_csv, existing_csv))
        if not exit_after_summary:
            console.print("[bold]Everything is running. Ctrl-C stops it.[/bold]")
            while all(p.running for p in system.processes.values()):
                time.sleep(1)
            console.print("[red]a service stopped; see its log[/red]")
    except KeyboardInterrupt:
        console.print("\nstopping…")
    except ProcessFailed as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    finally:
        system.stop()
        console.print(
            f"stopped. Logs: {system.log_dir}. Infrastructure stays up: `uv run devstack down` stops it."
        )


def cli() -> None:
    typer.run(main)


if __name__ == "__main__":
    cli()
