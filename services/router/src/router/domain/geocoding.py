"""The geocoding chain: postal code → city+state → state centroid → unroutable.

The lookups themselves (a gazetteer) are a port; the adapter backs it with the offline
``zipcodes`` data. Which step answered is recorded as the ``method``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from router.domain.lead import Lead
from router.domain.states import STATE_CENTROIDS, normalize_state

_ZIP5 = re.compile(r"^\s*(\d{5})(?:[-\s]?\d{4})?\s*$")


class GeocodeMethod(StrEnum):
    COORDINATES = "coordinates"  # given by the caller (previews)
    POSTAL_CODE = "postal_code"
    CITY_STATE = "city_state"
    STATE_CENTROID = "state_centroid"
    UNROUTABLE = "unroutable"


@dataclass(frozen=True, slots=True)
class Place:
    lat: float
    lon: float
    state: str | None


class Gazetteer(Protocol):
    def by_postal_code(self, zip5: str) -> Place | None: ...

    def by_city(self, city: str, state: str) -> Place | None: ...


@dataclass(frozen=True, slots=True)
class Geocode:
    method: GeocodeMethod
    lat: float | None = None
    lon: float | None = None
    state: str | None = None

    @property
    def routable(self) -> bool:
        return self.lat is not None and self.lon is not None


def normalize_zip(value: str | None) -> str | None:
    """'02115', '02115-1234', '2115' (lost leading zero) → '02115'."""
    if value is None:
        return None
    cleaned = value.strip()
    if cleaned.isdigit() and 3 <= len(cleaned) < 5:
        cleaned = cleaned.zfill(5)
    match = _ZIP5.match(cleaned)
    return match.group(1) if match else None


def geocode(lead: Lead, gazetteer: Gazetteer) -> Geocode:
    state = normalize_state(lead.state)
    zip5 = normalize_zip(lead.postal_code)
    if zip5 is not None and (place := gazetteer.by_postal_code(zip5)) is not None:
        return Geocode(GeocodeMethod.POSTAL_CODE, place.lat, place.lon, place.state or state)
    if state and lead.city and lead.city.strip():
        place = gazetteer.by_city(lead.city.strip(), state)
        if place is not None:
            return Geocode(GeocodeMethod.CITY_STATE, place.lat, place.lon, state)
    if state is not None:
        lat, lon = STATE_CENTROIDS[state]
        return Geocode(GeocodeMethod.STATE_CENTROID, lat, lon, state)
    return Geocode(GeocodeMethod.UNROUTABLE)
