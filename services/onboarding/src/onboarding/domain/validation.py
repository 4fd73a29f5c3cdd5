"""Whole-file validation of a locations CSV: every problem with its row and column, or the drafts."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from leadflow_common.events.locations import BusinessHours
from leadflow_common.events.onboarding import LocationDraft
from onboarding.domain import fields
from onboarding.domain.columns import COLUMNS, GHL_ID_COLUMN, Column, map_headers
from onboarding.domain.hours import HoursError, parse_closed_dates, parse_weekly_hours

HEADER_ROW = 1  # row numbers are spreadsheet rows: the header is row 1, the first location row 2


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    column: str
    message: str


@dataclass(frozen=True, slots=True)
class ValidRow:
    row: int
    draft: LocationDraft
    ghl_location_id: str | None = None


@dataclass(frozen=True, slots=True)
class KnownLocations:
    """What already exists, so the file cannot onboard a location twice."""

    names: frozenset[str] = frozenset()
    codes: frozenset[str] = frozenset()
    ghl_names: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # name key -> live GHL ids
    territories: Mapping[str, str] = field(default_factory=dict)  # zip -> franchise code owning it


@dataclass
class ValidationReport:
    rows: int = 0
    valid: list[ValidRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)  # reported, but the file may be sent

    @property
    def ok(self) -> bool:
        return not self.errors and self.rows > 0

    def rows_with_errors(self) -> int:
        return len({e.row for e in self.errors})


def _name_key(name: str) -> str:
    return " ".join(name.casefold().split())


class _RowParser:
    def __init__(self, row_number: int, values: dict[str, str], headers: dict[str, str]) -> None:
        self.row = row_number
        self.values = values
        self.headers = headers
        self.errors: list[RowError] = []
        self.clean: dict[str, Any] = {}

    def raw(self, column: Column) -> str:
        header = self.headers.get(column.field)
        return (self.values.get(header) or "").strip() if header else ""

    def take(self, column: Column, check: Callable[[str], Any] | None = None) -> None:
        value = self.raw(column)
        if not value:
            if column.required:
                self.errors.append(RowError(self.row, column.header, "required value is missing"))
            return
        try:
            self.clean[column.field] = check(value) if check else value
        except fields.FieldError as exc:
            self.errors.append(RowError(self.row, column.header, str(exc)))

    def parse(self, column: Column, parse: Callable[[str], Any]) -> Any:
        """Optional structured cells (hours, closed dates): None when empty or invalid."""
        value = self.raw(column)
        if not value:
            return None
        try:
            return parse(value)
        except HoursError as exc:
            self.errors.append(RowError(self.row, column.header, str(exc)))
            return None


def territory_zips(value: str) -> list[str]:
    """A 'Territory Zips' cell: zips separated by ';' (or ',' / spaces), each an existing US zip,
    stored as its 5 digits (ZIP+4 names the same territory), sorted and without repeats."""
    zips: set[str] = set()
    for part in value.replace(",", ";").replace(" ", ";").split(";"):
        if part.strip():
            zips.add(fields.postal_code(part, None)[:5])
    return sorted(zips)


def routing_weight(value: str) -> float:
    try:
        weight = float(value)
    except ValueError:
        raise fields.FieldError(f"routing weight {value!r} is not a number") from None
    if not 0 < weight <= 1000:
        raise fields.FieldError(f"routing weight {value!r} must be above 0 and at most 1000")
    return weight


# The routing policy (its radius steps) lives in the router and is not readable from here: a fixed
# cap above its default largest step (100 mi) catches typos like 2500 without coupling the two.
MAX_RADIUS_OVERRIDE_MILES = 200.0


def radius_override_miles(value: str) -> float:
    """A 'Radius Override Miles' cell: the location takes leads only within this many miles."""
    try:
        miles = float(value)
    except ValueError:
        raise fields.FieldError(f"radius override {value!r} is not a number of miles") from None
    if not 0 < miles <= MAX_RADIUS_OVERRIDE_MILES:
        raise fields.FieldError(
            f"radius override {value!r} must be above 0 and at most {MAX_RADIUS_OVERRIDE_MILES:g} miles"
        )
    return miles


def territory_overlaps(code: str, zips: Iterable[str], owners: Mapping[str, str]) -> list[str]:
    """One message per zip of ``code``'s territory that another location owns, naming both owners
    (``owners``: zip → owner, e.g. the franchise code, or "FIT-0001 (row 3)")."""
    return [f"zip {z} is claimed by {code} but already owned by {owners[z]}"
            for z in zips if z in owners and owners[z] != code]  # fmt: skip


_CHECKS: dict[str, Callable[[str], Any]] = {
    "email": fields.email,
    "manager_email": fields.email,
    "phone": fields.phone,
    "state": fields.state,
    "timezone": fields.timezone,
    "daily_capacity": fields.capacity,
    "franchise_code": fields.franchise_code,
    "opening_date": fields.opening_date,
    "website": fields.website,
    "specialties": fields.specialties,
    "territory_zips": territory_zips,
    "routing_weight": routing_weight,
    "radius_override_miles": radius_override_miles,
}


def _parse_row(row_number: int, values: dict[str, str], headers: dict[str, str], adopt: bool) -> _RowParser:
    parser = _RowParser(row_number, values, headers)
    by_field = {c.field: c for c in COLUMNS}
    for column in COLUMNS:
        if column.field in ("postal_code", "hours", "closed_dates"):
            continue
        parser.take(column, _CHECKS.get(column.field))
    zip_column = by_field["postal_code"]
    parser.take(zip_column, lambda v: fields.postal_code(v, parser.clean.get("state")))
    weekly = parser.parse(by_field["hours"], parse_weekly_hours)
    closed = parser.parse(by_field["closed_dates"], parse_closed_dates)
    if weekly or closed:
        parser.clean["business_hours"] = BusinessHours(weekly=weekly or {}, closed_dates=closed or [])
    if adopt:
        parser.take(GHL_ID_COLUMN)
    return parser


def validate_rows(
    headers: list[str],
    rows: Iterable[dict[str, str]],
    known: KnownLocations = KnownLocations(),
    adopt: bool = False,
) -> ValidationReport:
    """Validate every row (never stopping at the first problem) and cross-check duplicates."""
    report = ValidationReport()
    columns = (*COLUMNS, GHL_ID_COLUMN) if adopt else COLUMNS
    mapping = map_headers(headers, columns)
    for column in mapping.missing:
        report.errors.append(RowError(HEADER_ROW, column.header, "required column is missing"))
    seen_names: dict[str, int] = {}
    seen_codes: dict[str, int] = {}
    claimed: dict[str, str] = {}  # zip -> "CODE (row n)" of the rows above
    for index, values in enumerate(rows, start=HEADER_ROW + 1):
        if not any((v or "").strip() for v in values.values()):
            continue  # blank line
        report.rows += 1
        if mapping.missing:
            continue
        parser = _parse_row(index, values, mapping.by_field, adopt)
        report.errors.extend(parser.errors)
        name, code = parser.clean.get("name"), parser.clean.get("franchise_code")
        if name:
            key = _name_key(name)
            if key in seen_names:
                report.errors.append(RowError(index, "Location Name", f"duplicate of row {seen_names[key]}"))
            elif key in known.names and not adopt:
                report.errors.append(RowError(index, "Location Name", "a location with this name exists"))
            elif key in known.ghl_names:
                _check_ghl_name(
                    report, index, known.ghl_names[key], parser.clean.get("ghl_location_id"), adopt
                )
            seen_names.setdefault(key, index)
        if code:
            if code in seen_codes:
                report.errors.append(
                    RowError(index, "Franchise Code", f"duplicate of row {seen_codes[code]}")
                )
            elif code in known.codes:
                report.errors.append(RowError(index, "Franchise Code", f"{code} is already onboarded"))
            seen_codes.setdefault(code, index)
        zips = parser.clean.get("territory_zips", [])
        if code and zips:
            for message in territory_overlaps(code, zips, known.territories) or territory_overlaps(
                code, zips, claimed
            ):
                report.errors.append(RowError(index, "Territory Zips", message))
            for z in zips:
                claimed.setdefault(z, f"{code} (row {index})")
        if not parser.errors:
            ghl_id = parser.clean.pop("ghl_location_id", None)
            report.valid.append(ValidRow(index, LocationDraft(**parser.clean), ghl_id))
    if report.errors:
        report.valid = [v for v in report.valid if v.row not in {e.row for e in report.errors}]
    return report


def _check_ghl_name(
    report: ValidationReport, row: int, live_ids: tuple[str, ...], adopted_id: str | None, adopt: bool
) -> None:
    """A new location must not share its name with a live sub-account (the saga would otherwise
    create a look-alike next to someone else's); an adopted one is expected to be that sub-account."""
    ids = ", ".join(live_ids)
    if not adopt:
        report.errors.append(RowError(row, "Location Name", f"a live GHL sub-account has this name ({ids})"))
    elif adopted_id not in live_ids:
        report.warnings.append(
            RowError(row, "Location Name", f"GHL sub-account {ids} has this name, not {adopted_id}")
        )


def known_from(
    names: Iterable[str],
    codes: Iterable[str],
    ghl: Iterable[tuple[str, str]] = (),
    territories: Iterable[tuple[str, str]] = (),
) -> KnownLocations:
    """``ghl``: (name, id) of every live sub-account of the agency; ``territories``: (zip, franchise
    code) of every zip a known (not offboarded) location owns."""
    ghl_names: dict[str, tuple[str, ...]] = {}
    for name, ghl_id in ghl:
        ghl_names[_name_key(name)] = (*ghl_names.get(_name_key(name), ()), ghl_id)
    return KnownLocations(
        frozenset(_name_key(n) for n in names),
        frozenset(c.upper() for c in codes),
        ghl_names,
        {z: c.upper() for z, c in territories},
    )
