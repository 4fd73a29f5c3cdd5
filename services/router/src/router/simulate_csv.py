"""CSV input and table output of ``router simulate``."""

from __future__ import annotations

import csv
from pathlib import Path

from router.domain.directory import DirectoryEntry
from router.domain.geocoding import Gazetteer, geocode
from router.domain.lead import Lead
from router.domain.simulation import SimulationReport


def _get(row: dict[str, str], *names: str) -> str | None:
    for name in names:
        value = row.get(name)
        if value not in (None, ""):
            return value
    return None


def read_locations(path: Path, gazetteer: Gazetteer) -> list[DirectoryEntry]:
    """Columns: location_id (or Franchise Code), lat/lon or Zip Code, daily_capacity (or Capacity
    Limit), state, timezone, status (default active)."""
    entries = []
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            location_id = _get(row, "location_id", "Franchise Code") or ""
            lat, lon = _get(row, "lat"), _get(row, "lon")
            state = _get(row, "state", "State")
            if lat is None or lon is None:
                geo = geocode(Lead(location_id, postal_code=_get(row, "postal_code", "Zip Code"),
                                   city=_get(row, "city", "City"), state=state), gazetteer)  # fmt: skip
                if not geo.routable:
                    continue
                lat, lon, state = str(geo.lat), str(geo.lon), geo.state
            entries.append(DirectoryEntry(
                location_id.upper(), float(lat), float(lon),
                int(_get(row, "daily_capacity", "Capacity Limit") or 0),
                _get(row, "status") or "active", state,
                _get(row, "timezone", "Timezone") or "America/New_York",
            ))  # fmt: skip
    return entries


def read_leads(path: Path) -> list[tuple[str, Lead]]:
    """Columns: lead_id/id, postal_code/postalCode, city, state, source, tags (;-separated),
    email, phone, first_name; ``date`` (capacity day, default one day for all)."""
    leads = []
    with path.open(newline="") as handle:
        for n, row in enumerate(csv.DictReader(handle)):
            lead = Lead(
                _get(row, "lead_id", "id") or f"row-{n}",
                postal_code=_get(row, "postal_code", "postalCode"), city=_get(row, "city"),
                state=_get(row, "state"), source=_get(row, "source"), email=_get(row, "email"),
                phone=_get(row, "phone"), first_name=_get(row, "first_name", "firstName"),
                tags=tuple(t for t in (_get(row, "tags") or "").split(";") if t),
            )  # fmt: skip
            leads.append(((_get(row, "date") or "day")[:10], lead))
    return leads


def format_report(report: SimulationReport, top: int = 15) -> str:
    lines = [f"leads: {report.leads}   unassigned: {report.unassigned} ({report.unassigned_rate:.1%})"]
    pct = [(p, report.distance_percentile(p)) for p in (50, 90, 95, 99)]
    lines.append("distance mi: " + "  ".join(f"p{p}={v:.1f}" if v is not None else f"p{p}=-" for p, v in pct))
    lines.append("\nrule                 leads")
    lines += [f"{rule:<20} {n:>6}" for rule, n in report.by_rule.most_common()]
    if report.unassigned_reasons:
        lines.append("\nunassigned reason                    leads")
        lines += [f"{r:<36} {n:>6}" for r, n in report.unassigned_reasons.most_common()]
    lines.append(f"\nlocation (top {top})        leads")
    lines += [f"{loc:<26} {n:>6}" for loc, n in report.by_location.most_common(top)]
    return "\n".join(lines)
