"""The CSV columns the importer understands, matched by header name case- and space-insensitively."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Column:
    field: str
    header: str
    required: bool


COLUMNS: tuple[Column, ...] = (
    Column("name", "Location Name", True),
    Column("address", "Address", True),
    Column("city", "City", True),
    Column("state", "State", True),
    Column("postal_code", "Zip Code", True),
    Column("phone", "Phone", True),
    Column("email", "Email", True),
    Column("website", "Website", False),
    Column("manager_name", "Manager Name", True),
    Column("manager_email", "Manager Email", True),
    Column("timezone", "Timezone", False),
    Column("daily_capacity", "Capacity Limit", True),
    Column("region", "Region", False),
    Column("franchise_code", "Franchise Code", True),
    Column("opening_date", "Opening Date", False),
    Column("specialties", "Specialties", False),
    Column("hours", "Hours", False),
    Column("closed_dates", "Closed Dates", False),
    Column("territory_zips", "Territory Zips", False),  # ';'-separated zips owned exclusively
    Column("routing_weight", "Routing Weight", False),  # share under the router's `weighted` policy
    Column("radius_override_miles", "Radius Override Miles", False),  # takes leads only this near
)
GHL_ID_COLUMN = Column("ghl_location_id", "GHL Location Id", True)


def normalise_header(header: str) -> str:
    """'Zip Code', 'zip_code' and ' ZIPCODE ' all become 'zipcode'."""
    return "".join(ch for ch in header.casefold() if ch.isalnum())


@dataclass(frozen=True, slots=True)
class HeaderMap:
    """Which CSV header carries which field, and which required columns are missing."""

    by_field: dict[str, str]
    missing: tuple[Column, ...]


def map_headers(headers: list[str], columns: tuple[Column, ...]) -> HeaderMap:
    present = {normalise_header(h): h for h in headers}
    by_field: dict[str, str] = {}
    missing: list[Column] = []
    for column in columns:
        header = present.get(normalise_header(column.header))
        if header is not None:
            by_field[column.field] = header
        elif column.required:
            missing.append(column)
    return HeaderMap(by_field, tuple(missing))
