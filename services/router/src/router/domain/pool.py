"""The unassigned pool (pure): which pool leads a trigger may route again, list filters and cursors.

A lead stays in the pool (an ``assignments`` row without a location) with the reason its decision
recorded. A trigger names the reasons that can have gone away and where: a location's capacity
reset (its local midnight), a location activated or changed nearby, a contact given an address.
"""

from __future__ import annotations

import base64
import binascii
import enum
import math
from dataclasses import dataclass
from datetime import datetime

UNROUTABLE = "unroutable_address"
AT_CAPACITY = "all_nearby_locations_at_capacity"
NONE_IN_RANGE = "no_location_in_range"
ALL_HAD_IT = "every_nearby_location_already_had_it"
EARTH_RADIUS_MILES = 3958.8

MANUAL_RULE = "manual"  # a person moved the lead to a named location
AUTO_RULE = "reassigned"  # a person asked for the routing decision again ("auto")
REDRIVE_RULE = "pool_redrive"  # the pool re-drive routed a pool lead after its reason went away
MOVE_RULES = frozenset({MANUAL_RULE, AUTO_RULE, REDRIVE_RULE})


class TriggerKind(enum.StrEnum):
    MIDNIGHT = "midnight"  # capacity counters of a timezone's locations start a new local day
    LOCATION = "location"  # a location became active (or changed: capacity, radius) nearby
    ADDRESS = "address"  # a ContactUpdate gave a pool lead a routable address


# Reasons a trigger can take away: a fresh day frees capacity only; a new or changed location can
# be in range, have capacity, or be one the lead has not been at.
TERRITORY_FULL = "territory_full"  # the territory fallback "pool": the owner had no slot
TERRITORY_OWNER_UNAVAILABLE = "territory_owner_unavailable"  # ... or was paused
MIDNIGHT_REASONS: tuple[str, ...] = (AT_CAPACITY, TERRITORY_FULL)
LOCATION_REASONS: tuple[str, ...] = (AT_CAPACITY, NONE_IN_RANGE, ALL_HAD_IT, TERRITORY_FULL,
                                     TERRITORY_OWNER_UNAVAILABLE)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Trigger:
    """One reason-went-away event: the pool leads it matches are each decided again once."""

    trigger_id: str
    kind: TriggerKind
    reasons: tuple[str, ...]
    location_ids: tuple[str, ...] = ()  # MIDNIGHT: the leads that saw any of these as a candidate
    lat: float | None = None  # LOCATION: leads within ``radius_miles`` of here, or in ``state``
    lon: float | None = None
    radius_miles: float | None = None
    state: str | None = None


def midnight_trigger(timezone: str, local_day: str, location_ids: tuple[str, ...]) -> Trigger:
    return Trigger(f"midnight:{timezone}:{local_day}", TriggerKind.MIDNIGHT, MIDNIGHT_REASONS,
                   location_ids=location_ids)  # fmt: skip


def location_trigger(location_id: str, changed_at: datetime, lat: float, lon: float, radius_miles: float,
                     state: str | None) -> Trigger:  # fmt: skip
    return Trigger(f"location:{location_id}:{changed_at.isoformat()}", TriggerKind.LOCATION, LOCATION_REASONS,
                   location_ids=(location_id,), lat=lat, lon=lon, radius_miles=radius_miles,
                   state=state)  # fmt: skip


def miles_between(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine), the same within a few feet as Redis GEODIST at these ranges."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(h)))


def bounding_box(lat: float, lon: float, miles: float) -> tuple[float, float, float, float]:
    """(min lat, max lat, min lon, max lon) around a point: an index-friendly pre-filter."""
    dlat = miles / 69.0
    dlon = miles / max(1e-6, 69.172 * math.cos(math.radians(lat)))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


class ListStatus(enum.StrEnum):
    UNASSIGNED = "unassigned"
    ASSIGNED = "assigned"
    ALL = "all"


class BadCursor(ValueError):
    """The cursor is not one this API handed out."""


@dataclass(frozen=True, slots=True)
class Cursor:
    """Keyset position: the (decided_at, lead_id) of the last row of the previous page."""

    decided_at: datetime
    lead_id: str

    def encode(self) -> str:
        raw = f"{self.decided_at.isoformat()}|{self.lead_id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
            at, lead_id = raw.split("|", 1)
            decided_at = datetime.fromisoformat(at)
        except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
            raise BadCursor("not a cursor this API returned") from exc
        if decided_at.tzinfo is None or not lead_id:
            raise BadCursor("not a cursor this API returned")
        return cls(decided_at, lead_id)
