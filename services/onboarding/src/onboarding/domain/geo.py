"""Offline geocoding of a location: its zip code's centroid, else its state's centroid."""

from __future__ import annotations

from dataclasses import dataclass

import zipcodes

from onboarding.domain.us_states import STATES


@dataclass(frozen=True, slots=True)
class GeoPoint:
    lat: float | None
    lon: float | None
    method: str  # "zip" | "state" | "none"
    timezone: str | None


def zip_info(postal_code: str) -> dict[str, str] | None:
    """The zipcodes record of a 5-digit (or ZIP+4) code, None when it does not exist."""
    code = postal_code.strip()[:5]
    if len(code) != 5 or not code.isdigit():
        return None
    matches: list[dict[str, str]] = zipcodes.matching(code)  # type: ignore[no-untyped-call]
    return matches[0] if matches else None


def geocode(postal_code: str, state: str) -> GeoPoint:
    info = zip_info(postal_code)
    if info is not None and info.get("lat") and info.get("long"):
        return GeoPoint(float(info["lat"]), float(info["long"]), "zip", info.get("timezone") or None)
    centroid = STATES.get(state.strip().upper())
    if centroid is not None:
        return GeoPoint(centroid[0], centroid[1], "state", centroid[2])
    return GeoPoint(None, None, "none", None)


def location_timezone(given: str | None, point: GeoPoint, state: str, default: str) -> str:
    """The CSV's timezone wins; else the zip's; else the state's main zone; else ``default``."""
    if given:
        return given
    if point.timezone:
        return point.timezone
    centroid = STATES.get(state.strip().upper())
    return centroid[2] if centroid else default
