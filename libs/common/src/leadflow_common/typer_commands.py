"""Commands every service CLI has in common, defined once: ``dlt list`` / ``dlt replay`` (the
dead-letter topics of the service's consumers) and ``revision`` (the next alembic migration).
Each CLI adds them with one call; the logic lives in kafka/dlt_cli.py and migrations.py."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated

import typer

from leadflow_common.topics import TopicSpec

FirstOption = Annotated[int, typer.Option("--first", min=0, help="records shown")]
TimeoutOption = Annotated[float, typer.Option("--timeout", min=1, help="seconds before stopping")]
TopicOption = Annotated[
    list[str] | None,
    typer.Option("--topic", help="original topic (repeat; default: every one the service reads)"),
]
SinceOption = Annotated[str | None, typer.Option(help="dead-lettered since: 2h, 7d or an ISO time")]


def add_dlt_commands(
    app: typer.Typer, service: str, consumed: Sequence[TopicSpec], replay_help: str = ""
) -> None:
    """``<service> dlt list|replay`` over the dead-letter topics of ``consumed``."""
    dlt = typer.Typer(help=f"the dead-letter topics of the {service} consumers: list, replay after a fix")
    app.add_typer(dlt, name="dlt")

    @dlt.command("list")
    def dlt_list(
        topic: TopicOption = None,
        since: SinceOption = None,
        first: FirstOption = 0,
        timeout: TimeoutOption = 60.0,
    ) -> None:
        """Dead letters by original topic and error class (count, first, last, a sample message)."""
        from leadflow_common.kafka import dlt_cli
        from leadflow_common.settings import KafkaSettings

        dlt_cli.run(
            service, lambda: dlt_cli.dlt_list(KafkaSettings(), consumed, topic, since, first, timeout)
        )

    @dlt.command("replay")
    def dlt_replay(
        topic: TopicOption = None,
        error_class: Annotated[
            str | None, typer.Option(help="e.g. ValueError or builtins.ValueError")
        ] = None,
        message: Annotated[str | None, typer.Option(help="error message contains (any case)")] = None,
        since: SinceOption = None,
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
            service,
            lambda: dlt_cli.dlt_replay(
                KafkaSettings(), consumed, topic, error_class=error_class, message_contains=message,
                since=since, until=until, dry_run=dry_run, from_beginning=from_beginning,
                allow_compacted=allow_compacted, keep=first, timeout_s=timeout,
            ),
        )  # fmt: skip

    if replay_help:
        dlt_replay.__doc__ = f"{dlt_replay.__doc__} {replay_help}"


def add_revision_command(app: typer.Typer, migrations: Path, database: Callable[[], tuple[str, str]]) -> None:
    """``<service> revision -m ...``: ``database`` gives (database URL, schema) from the settings."""

    @app.command()
    def revision(
        message: str = typer.Option(..., "-m", "--message", help="what the migration does"),
        autogenerate: bool = typer.Option(
            False, help="write the difference between the tables and the database schema (at head)"
        ),
    ) -> None:
        """Write the next migration into migrations/versions (alembic revision; no database needed)."""
        from leadflow_common.migrations import revision as new_revision

        url, schema = database()
        typer.echo(f"wrote {new_revision(migrations, url, schema, message, autogenerate=autogenerate)}")
