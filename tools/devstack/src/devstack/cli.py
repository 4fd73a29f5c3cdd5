"""`devstack up|down|status|env|topics|groups|migrate|redis-cluster` — the local infrastructure tool."""

from __future__ import annotations

import asyncio
import sys

import typer
from rich.console import Console
from rich.table import Table

from devstack import kafka, redis_cluster, stack
from devstack.errors import DevstackError
from devstack.procs import pid_alive, port_accepts
from devstack.state import StackState

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
cluster_app = typer.Typer(no_args_is_help=True, help="A local 3-master Redis Cluster (not part of `up`).")
app.add_typer(cluster_app, name="redis-cluster")
console = Console(stderr=True)


def _fail(exc: DevstackError) -> None:
    console.print(f"[red]devstack: {exc.problem}[/red]\n  [yellow]how to fix:[/yellow] {exc.fix}")
    raise typer.Exit(1)


@app.command()
def up(no_topics: bool = typer.Option(False, help="skip topic creation")) -> None:
    """Start Kafka, PostgreSQL and Redis (reusing running ones) and create every topic."""
    try:
        state = stack.up(progress=lambda m: console.print(f"[cyan]•[/cyan] {m}"), create_topics=not no_topics)
    except DevstackError as exc:
        _fail(exc)
        return
    console.print(
        f"[green]stack up[/green]: kafka {state.kafka.url}, postgres :{state.postgres.port}, "
        f"redis {state.redis.url}. `eval $(devstack env)` to use it."
    )


@app.command()
def down() -> None:
    """Stop what devstack started (external servers are left alone). Data is kept."""
    stack.down(progress=lambda m: console.print(f"[cyan]•[/cyan] {m}"))


@app.command()
def status() -> None:
    """Which servers run, on which ports, started by whom."""
    state = StackState.load()
    table = Table("server", "address", "pid", "started by devstack", "answers")
    for name, server in (("kafka", state.kafka), ("postgres", state.postgres), ("redis", state.redis)):
        answers = bool(server.port) and port_accepts(server.port) if server.managed else bool(server.url)
        alive = pid_alive(server.pid) if server.managed else None
        table.add_row(
            name,
            server.url or "-",
            str(server.pid or "-"),
            "yes" if server.managed else "no",
            "[green]yes[/green]" if answers and alive is not False else "[red]no[/red]",
        )
    Console().print(table)


@app.command()
def env() -> None:
    """Print `export VAR=value` lines for the services and tests."""
    try:
        for key, value in stack.env_vars().items():
            sys.stdout.write(f"export {key}='{value}'\n")
    except DevstackError as exc:
        _fail(exc)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def topics(ctx: typer.Context) -> None:
    """Kafka's own TopicCommand (default: --list)."""
    args = ctx.args or ["--list"]
    raise typer.Exit(
        kafka.run_tool(
            kafka.TOPIC_COMMAND, ["--bootstrap-server", stack.env_vars()["KAFKA_BOOTSTRAP_SERVERS"], *args]
        )
    )


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def groups(ctx: typer.Context) -> None:
    """Kafka's own consumer-groups command (default: --list; e.g. `--describe --group router`)."""
    args = ctx.args or ["--list"]
    raise typer.Exit(
        kafka.run_tool(
            kafka.GROUP_COMMAND, ["--bootstrap-server", stack.env_vars()["KAFKA_BOOTSTRAP_SERVERS"], *args]
        )
    )


@app.command()
def ensure_topics() -> None:
    """Create missing topics (honours KAFKA_TOPIC_NAMESPACE)."""
    from leadflow_common.kafka.admin import ensure_topics as ensure

    created = asyncio.run(ensure(stack.env_vars()["KAFKA_BOOTSTRAP_SERVERS"]))
    console.print(f"created: {created or 'nothing'}")


@cluster_app.command("up")
def cluster_up(masters: int = typer.Option(3, help="number of masters (no replicas)")) -> None:
    """Start (or reuse) the cluster in .devstack/redis-cluster; prints its REDIS_URL."""
    try:
        state = redis_cluster.up(masters=masters)
    except DevstackError as exc:
        _fail(exc)
        return
    console.print(f"[green]redis cluster up[/green]: ports {', '.join(map(str, state.ports))}")
    sys.stdout.write(f"export REDIS_URL='{state.url}'\n")


@cluster_app.command("down")
def cluster_down() -> None:
    """Stop the cluster `redis-cluster up` started."""
    console.print("stopped" if redis_cluster.down() else "no cluster recorded")
