"""``leadflow-contracts generate | check``: write or verify the committed contract documents."""

from __future__ import annotations

from pathlib import Path

import typer

from leadflow_system.contracts.documents import breaking, generated, stale, write

app = typer.Typer(add_completion=False, help=__doc__, no_args_is_help=True)
DIRECTORY = typer.Option(Path("contracts"), "--dir", help="the contracts directory (repository root's)")


@app.command("generate")
def generate_command(directory: Path = DIRECTORY) -> None:
    """Regenerate asyncapi.yaml and the JSON Schemas; refuses a breaking change."""
    found = breaking(directory)
    if found:
        for item in found:
            typer.echo(f"breaking: {item}", err=True)
        typer.echo("Not written. Make the change compatible or bump the topic version (….v2).", err=True)
        raise typer.Exit(1)
    for path in write(directory, generated()):
        typer.echo(f"wrote {directory / path}")


@app.command("check")
def check_command(directory: Path = DIRECTORY) -> None:
    """Fail when a committed document is stale or a model change is not backward compatible."""
    problems = [f"stale: {p}" for p in stale(directory, generated())]
    problems += [f"breaking: {b}" for b in breaking(directory)]
    for problem in problems:
        typer.echo(problem, err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo("contracts up to date and compatible")


def main() -> None:
    app()
