"""The routing rules: eligibility, tie-break and the fallback ladder (pure).

Ladder: radius steps (default 25 → 50 → 100 mi), each answering the nearest location WITH
CAPACITY inside its radius (the search starts with the k × step nearest and keeps looking inside
the radius while those are all full, so a step is never cut short by a count; at most
``max_examined`` locations per decision in all), then the nearest location with capacity in the
lead's state, then the unassigned pool. A state-centroid
geocode skips the radius steps (a centroid is not a place a radius means anything around).
Among eligible candidates within ``tie_miles`` of the nearest one, the one with the most
remaining capacity wins. Leads scoring at least ``priority_score`` may use the head-room
between ``threshold`` × capacity and the full capacity; the rest stop at the threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

from router.domain.policies import TerritoryFallback, TiePolicy

ACTIVE = "active"
SAME_STATE = "same_state"
UNASSIGNED = "unassigned"
EXCLUDED = "excluded"  # status the script reports for a location that already had the lead


def radius_rule(miles: float) -> str:
    return f"radius_{int(miles)}"


@dataclass(frozen=True, slots=True)
class RoutingPolicy:
    radii_miles: tuple[float, ...] = (25.0, 50.0, 100.0)
    count: int = 5
    threshold: float = 0.9
    tie_miles: float = 1.0
    state_count: int = 50
    priority_score: float = 80.0
    # how many of the nearest candidates seen a decision reports (its log), plus the chosen one
    # and the eligible ones within the business-hours band (at most as many again)
    report_candidates: int = 15
    # locations one decision may look at in all (each costs Redis an HMGET and a GET): past that it
    # ends unassigned, so a dense area full at the end of the day cannot stall Redis
    max_examined: int = 200
    # how a step chooses among the eligible ones within ``fair_band_miles`` of the nearest
    # (distribution.py); NEAREST keeps ``tie_miles`` and the most remaining capacity
    tie_policy: TiePolicy = TiePolicy.NEAREST
    fair_band_miles: float = 5.0
    territory_fallback: TerritoryFallback = TerritoryFallback.NEAREST
    # a contact routed within this many days goes back to the same location (0: rule off)
    returning_window_days: float = 0.0

    def limit_ratio(self, score: float) -> float:
        return 1.0 if score >= self.priority_score else self.threshold


@dataclass(frozen=True, slots=True)
class Candidate:
    location_id: str
    distance_miles: float
    reserved: int
    daily_capacity: int
    status: str
    eligible: bool
    step: str
    open_now: bool | None = None  # None: hours not considered (rule ``ignore``)
    opens_in_minutes: float | None = None
    sla_due_in_minutes: float | None = None  # wall-clock minutes until the SLA would expire there

    def remaining(self, ratio: float) -> float:
        return ratio * self.daily_capacity - self.reserved


@dataclass(frozen=True, slots=True)
class RouteOutcome:
    """What the decision (script or reference ladder) answered."""

    rule: str
    location_id: str | None
    distance_miles: float | None
    capacity_date: str | None
    candidates: tuple[Candidate, ...] = ()
    reason: str | None = None
    replayed: bool = False
    hours_note: str | None = None  # what the business-hours rule did, for the decision log
    # the tie policy that chose (None: the nearest rule, or a rule of its own: territory, returning)
    policy: str | None = None
    # what the returning / territory / tie rules did (joined into the stored note with the hours')
    route_note: str | None = None
    # the routing policy version it was decided under (domain/policy.py; None: not versioned)
    policy_version: int | None = None

    @property
    def assigned(self) -> bool:
        return self.location_id is not None


def is_eligible(status: str, reserved: int, daily_capacity: int, ratio: float) -> bool:
    return status == ACTIVE and reserved < ratio * daily_capacity


def pick(candidates: list[Candidate], ratio: float, tie_miles: float) -> Candidate | None:
    """Nearest eligible; among those within ``tie_miles`` of it, the most remaining capacity."""
    eligible = [c for c in candidates if c.eligible]
    if not eligible:
        return None
    nearest = min(c.distance_miles for c in eligible)
    tied = [c for c in eligible if c.distance_miles <= nearest + tie_miles]
    return max(tied, key=lambda c: (c.remaining(ratio), -c.distance_miles, c.location_id))


def unassigned_reason(routable: bool, candidates: list[Candidate] | tuple[Candidate, ...]) -> str:
    if not routable:
        return "unroutable_address"
    if any(c.status == EXCLUDED for c in candidates) and not any(c.status == ACTIVE for c in candidates):
        return "every_nearby_location_already_had_it"
    if any(c.status == ACTIVE for c in candidates):
        return "all_nearby_locations_at_capacity"
    return "no_location_in_range"
