"""A bulk-change CSV (``Franchise Code`` plus any of ``Capacity Limit``, ``Hours``, ``Closed Dates``,
``Territory Zips``, ``Routing Weight``, ``Radius Override Miles``, ``Status``): every row and column
checked with the import's validators, every problem reported with its row and column, and two rows
claiming the same zip refused (both named). Empty cells mean "no change" (a territory is given up
through the API/CLI; a radius override is removed with ``none``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from onboarding.domain import fields
from onboarding.domain.columns import map_headers
from onboarding.domain.location_changes import EDITABLE, KEY_COLUMN, ChangeInvalid, Edit, parse_edit
from onboarding.domain.validation import HEADER_ROW, RowError, territory_overlaps

HEADERS = {c.field: c.header for c in (KEY_COLUMN, *EDITABLE)}


@dataclass(frozen=True, slots=True)
class BulkRow:
    row: int
    location_id: str
    edit: Edit


@dataclass
class BulkFile:
    rows: list[BulkRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def parse_bulk(headers: list[str], rows: Iterable[dict[str, str]]) -> BulkFile:
    result = BulkFile()
    mapping = map_headers(headers, (KEY_COLUMN, *EDITABLE))
    for column in mapping.missing:
        result.errors.append(RowError(HEADER_ROW, column.header, "required column is missing"))
    if not set(mapping.by_field) - {KEY_COLUMN.field}:
        names = ", ".join(c.header for c in EDITABLE)
        result.errors.append(RowError(HEADER_ROW, "", f"no column to change (any of {names})"))
    if result.errors:
        return result
    seen: dict[str, int] = {}
    claimed: dict[str, str] = {}  # zip -> "CODE (row n)" of the rows above
    for index, values in enumerate(rows, start=HEADER_ROW + 1):
        if not any((v or "").strip() for v in values.values()):
            continue  # blank line
        cells = {f: (values.get(h) or "") for f, h in mapping.by_field.items()}
        key = cells.pop(KEY_COLUMN.field).strip()
        problems = len(result.errors)
        location_id = _key(index, key, result.errors)
        try:
            edit = parse_edit(dict(cells), blank_is_unchanged=True)
        except ChangeInvalid as exc:
            result.errors.extend(RowError(index, HEADERS[p.field], p.message) for p in exc.problems)
            continue
        if location_id is None:
            continue
        if location_id in seen:
            result.errors.append(RowError(index, KEY_COLUMN.header, f"duplicate of row {seen[location_id]}"))
            continue
        seen[location_id] = index
        for message in territory_overlaps(location_id, edit.territory_zips or [], claimed):
            result.errors.append(RowError(index, HEADERS["territory_zips"], message))
        for z in edit.territory_zips or []:
            claimed.setdefault(z, f"{location_id} (row {index})")
        if len(result.errors) == problems:
            result.rows.append(BulkRow(index, location_id, edit))
    return result


def _key(row: int, value: str, errors: list[RowError]) -> str | None:
    if not value:
        errors.append(RowError(row, KEY_COLUMN.header, "required value is missing"))
        return None
    try:
        return fields.franchise_code(value)
    except fields.FieldError as exc:
        errors.append(RowError(row, KEY_COLUMN.header, str(exc)))
        return None


def first_column(edit: Edit) -> str:
    """The column a conflict is reported under: the row's status when it changes one, else its
    first changed column."""
    if edit.status is not None:
        return HEADERS["status"]
    changed: tuple[tuple[str, object], ...] = (
        ("daily_capacity", edit.daily_capacity),
        ("hours", edit.weekly),
        ("closed_dates", edit.closed_dates),
        ("territory_zips", edit.territory_zips),
        ("routing_weight", edit.routing_weight),
        ("radius_override_miles", edit.radius_override_miles),
    )
    for name, value in changed:
        if value is not None:
            return HEADERS[name]
    return KEY_COLUMN.header
