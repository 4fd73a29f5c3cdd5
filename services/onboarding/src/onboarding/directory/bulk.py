"""Bulk changes from a CSV: validated per row and column, checked against every location's state
under lock, then either shown (dry run) or applied all-or-nothing for the whole file."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from leadflow_common.db import transaction
from onboarding.directory import repository as repo
from onboarding.directory.service import (
    ChangeRequest,
    LocationDirectory,
    Planned,
    plan,
    territory_conflicts,
)
from onboarding.domain.bulk_changes import HEADERS, first_column, parse_bulk
from onboarding.domain.location_changes import KEY_COLUMN, Action, ChangeConflict, FieldChange
from onboarding.domain.validation import RowError


@dataclass(frozen=True, slots=True)
class LocationDiff:
    row: int
    location_id: str
    change: FieldChange


@dataclass
class BulkReport:
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    diffs: list[LocationDiff] = field(default_factory=list)
    applied: bool = False
    change_id: uuid.UUID | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


class _Refused(Exception):
    """Leaves the transaction without writing anything (dry run, or a problem in the file)."""


async def bulk_update(
    directory: LocationDirectory,
    headers: list[str],
    rows: list[dict[str, str]],
    actor: str,
    dry_run: bool,
    reason: str | None = None,
) -> BulkReport:
    parsed = parse_bulk(headers, rows)
    report = BulkReport(rows=len(parsed.rows), errors=list(parsed.errors))
    change_id = uuid.uuid4()
    try:
        async with transaction(directory.sessions) as session:
            current = await repo.lock(session, [r.location_id for r in parsed.rows])
            planned: list[tuple[Planned, ChangeRequest]] = []
            for row in parsed.rows:
                location = current.get(row.location_id)
                if location is None:
                    report.errors.append(
                        RowError(row.row, KEY_COLUMN.header, f"no location {row.location_id}")
                    )
                    continue
                try:
                    item = plan(location, Action.UPDATE, row.edit)
                except ChangeConflict as exc:
                    report.errors.append(RowError(row.row, first_column(row.edit), str(exc)))
                    continue
                report.diffs += [LocationDiff(row.row, row.location_id, c) for c in item.changes]
                if item.changes:
                    planned.append((item, ChangeRequest(row.location_id, Action.UPDATE, row.edit, reason)))
            conflicts = await territory_conflicts(session, [p for p, _ in planned])
            rows_of = {r.location_id: r.row for r in parsed.rows}
            report.errors += [
                RowError(rows_of[k], HEADERS["territory_zips"], why) for k, why in conflicts.items()
            ]
            if report.errors or dry_run or not planned:
                raise _Refused
            await directory.write(session, planned, change_id, actor)
    except _Refused:
        return report
    report.applied, report.change_id = True, change_id
    return report
