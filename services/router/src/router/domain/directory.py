"""An in-memory location directory with geo search (haversine): the reference implementation of
what the Redis index answers, used by the simulator and the unit tests of the ladder."""

from __future__ import annotations

import math
from dataclasses import dataclass

OUT_OF_REACH = "out_of_reach"  # active, but the lead is past the location's radius override
EARTH_RADIUS_MILES = 3958.7613  # the same radius Redis GEO uses (6372797.560856 m)


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    location_id: str
    lat: float
    lon: float
    daily_capacity: int
    status: str
    state: str | None = None
    timezone: str = "America/New_York"
    weight: float = 1.0  # routing_weight (the `weighted` tie policy)
    radius_override_miles: float | None = None  # takes no lead farther than this (None: any step)

    def status_at(self, distance_miles: float) -> str:
        """The status a decision sees for a lead ``distance_miles`` away (as decide.lua reports it)."""
        reach = self.radius_override_miles
        if self.status == "active" and reach is not None and distance_miles > reach:
            return OUT_OF_REACH
        return self.status


def haversine_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dphi = p2 - p1
    dlmb = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(a))


class InMemoryDirectory:
    """Active locations only are searchable, as in the Redis GEO index."""

    def __init__(self, entries: list[DirectoryEntry]) -> None:
        self._entries = {e.location_id: e for e in entries}

    def entry(self, location_id: str) -> DirectoryEntry:
        return self._entries[location_id]

    def ids(self) -> list[str]:
        return list(self._entries)

    def near(
        self, lat: float, lon: float, radius_miles: float, count: int, state: str | None = None
    ) -> list[tuple[str, float]]:
        found = [
            (e.location_id, round(haversine_miles(lat, lon, e.lat, e.lon), 4))
            for e in self._entries.values()
            if e.status == "active" and (state is None or e.state == state)
        ]
        within = sorted((f for f in found if f[1] <= radius_miles), key=lambda f: (f[1], f[0]))
        return within[:count]
