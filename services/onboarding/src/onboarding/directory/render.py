"""Location management in the terminal (rich): settings, pages, changes, history, bulk reports."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from onboarding.directory.bulk import BulkReport
from onboarding.directory.repository import ChangeRow, Pause
from onboarding.domain.hours import describe_hours
from onboarding.domain.location import Location
from onboarding.domain.location_changes import FieldChange, describe_closed


def _pause_text(pause: Pause | None) -> str:
    if pause is None:
        return ""
    until = f" until {pause.until}" if pause.until else ""
    why = f": {pause.reason}" if pause.reason else ""
    return f"by {pause.paused_by} at {pause.paused_at:%Y-%m-%d %H:%M}{until}{why}"


def print_settings(console: Console, location: Location, pause: Pause | None) -> None:
    draft = location.draft
    table = Table(title=f"{location.location_id} {draft.name}", show_header=False)
    rows = (
        ("status", location.status.value),
        ("state / region", f"{draft.state} / {draft.region or '-'}"),
        ("daily capacity", str(draft.daily_capacity)),
        ("hours", describe_hours(draft.business_hours) or "-"),
        ("closed dates", describe_closed(draft.business_hours) or "-"),
        ("territory zips", "; ".join(draft.territory_zips) or "-"),
        ("routing weight", f"{draft.routing_weight:g}"),
        (
            "radius override",
            "-" if draft.radius_override_miles is None else f"{draft.radius_override_miles:g} mi",
        ),
        ("paused", _pause_text(pause) or "-"),
        ("GHL sub-account", location.ghl_location_id or "-"),
    )
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)


def print_page(console: Console, page: list[tuple[Location, Pause | None]], limit: int) -> None:
    table = Table(title=f"{len(page)} location(s)")
    for name in ("Location", "Name", "State", "Status", "Capacity", "Paused"):
        table.add_column(name)
    for location, pause in page:
        draft = location.draft
        table.add_row(location.location_id, draft.name, draft.state, location.status.value,
                      str(draft.daily_capacity), _pause_text(pause))  # fmt: skip
    console.print(table)
    if len(page) == limit:
        console.print(f"more: --cursor {page[-1][0].location_id}")


def print_changes(console: Console, location_id: str, changes: list[FieldChange]) -> None:
    if not changes:
        console.print(f"{location_id}: nothing changed")
    for c in changes:
        console.print(f"{location_id}: {c.field} {c.old or '-'} → {c.new or '-'}", markup=False)


def print_history(console: Console, rows: list[ChangeRow]) -> None:
    table = Table(title="Recent changes")
    for name in ("When (UTC)", "Who", "Action", "Field", "Old → New", "Reason"):
        table.add_column(name)
    for r in rows:
        table.add_row(f"{r.changed_at:%Y-%m-%d %H:%M:%S}", r.actor, r.action, r.field,
                      f"{r.old_value or '-'} → {r.new_value or '-'}", r.reason or "")  # fmt: skip
    console.print(table)


def print_bulk(console: Console, report: BulkReport, path: str, dry_run: bool) -> None:
    if report.errors:
        errors = Table(title=f"Problems in {path}")
        for name in ("Row", "Column", "Problem"):
            errors.add_column(name)
        for e in sorted(report.errors, key=lambda e: (e.row, e.column)):
            errors.add_row(str(e.row), e.column, e.message)
        console.print(errors)
    if report.diffs:
        diff = Table(title="Changes" + (" (dry run: nothing applied)" if dry_run or not report.ok else ""))
        for name in ("Row", "Location", "Field", "Old → New"):
            diff.add_column(name)
        for d in report.diffs:
            diff.add_row(
                str(d.row), d.location_id, d.change.field, f"{d.change.old or '-'} → {d.change.new or '-'}"
            )
        console.print(diff)
    if not report.ok:
        console.print(
            f"[red]Nothing was changed: {len(report.errors)} problem(s) in {report.rows} row(s).[/red]"
        )
    elif report.applied:
        console.print(f"[green]{len(report.diffs)} change(s) applied to {report.rows} row(s).[/green]")
    else:
        console.print(
            f"[green]{len(report.diffs)} change(s) in {report.rows} row(s); nothing was applied.[/green]"
        )
