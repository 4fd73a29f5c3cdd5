"""Rendering a validation report and location states in the terminal (rich)."""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.table import Table

from onboarding.domain.location import Location
from onboarding.domain.validation import ValidationReport


def print_report(console: Console, report: ValidationReport, path: str) -> None:
    if report.errors:
        errors = Table(title=f"Problems in {path}", show_lines=False)
        errors.add_column("Row", justify="right")
        errors.add_column("Column")
        errors.add_column("Problem")
        for e in sorted(report.errors, key=lambda e: (e.row, e.column)):
            errors.add_row(str(e.row), e.column, e.message)
        console.print(errors)
    if report.warnings:
        warnings = Table(title=f"Warnings in {path} (the file may still be sent)")
        for name in ("Row", "Column", "Warning"):
            warnings.add_column(name)
        for w in sorted(report.warnings, key=lambda e: (e.row, e.column)):
            warnings.add_row(str(w.row), w.column, w.message)
        console.print(warnings)
    summary = Table(title="Summary")
    summary.add_column("")
    summary.add_column("Count", justify="right")
    summary.add_row("rows read", str(report.rows))
    summary.add_row("valid rows", str(len(report.valid)))
    summary.add_row("rows with problems", str(report.rows_with_errors()))
    summary.add_row("problems", str(len(report.errors)))
    summary.add_row("warnings", str(len(report.warnings)))
    for column, count in Counter(e.column for e in report.errors).most_common():
        summary.add_row(f"  in {column}", str(count))
    console.print(summary)


def print_locations(console: Console, locations: list[Location]) -> None:
    table = Table(title=f"{len(locations)} location(s)")
    for name in ("Location", "Name", "Status", "GHL id", "Steps done", "Problem"):
        table.add_column(name)
    for loc in locations:
        table.add_row(
            loc.location_id,
            loc.draft.name,
            loc.status.value,
            loc.ghl_location_id or "",
            str(len(loc.done_steps())),
            (f"{loc.failed_step}: " if loc.failed_step else "") + (loc.last_error or ""),
        )
    console.print(table)
