from __future__ import annotations

from datetime import UTC, date, datetime

from router.domain.capacity import capacity_date
from router.domain.directory import DirectoryEntry, InMemoryDirectory
from router.domain.geocoding import Geocode, GeocodeMethod
from router.domain.ladder import route
from router.domain.rules import RoutingPolicy

# Austin downtown and locations at increasing distances (~1 degree of latitude = 69 miles).
LEAD = Geocode(GeocodeMethod.POSTAL_CODE, 30.27, -97.74, "TX")
POLICY = RoutingPolicy()


def loc(
    location_id: str, dlat: float, cap: int = 10, status: str = "active", state: str = "TX"
) -> DirectoryEntry:
    return DirectoryEntry(location_id, 30.27 + dlat, -97.74, cap, status, state)


def test_nearest_with_capacity_within_25_miles() -> None:
    directory = InMemoryDirectory([loc("NEAR", 0.1), loc("FAR", 0.3)])
    outcome = route(LEAD, 50, directory, {}, POLICY)
    assert (outcome.rule, outcome.location_id) == ("radius_25", "NEAR")


def test_full_location_is_skipped_at_threshold() -> None:
    directory = InMemoryDirectory([loc("NEAR", 0.1), loc("FAR", 0.3)])
    reserved = {"NEAR": 9}  # 9 >= 0.9 x 10
    outcome = route(LEAD, 50, directory, reserved, POLICY)
    assert outcome.location_id == "FAR"
    assert reserved == {"NEAR": 9, "FAR": 1}
    near = next(c for c in outcome.candidates if c.location_id == "NEAR")
    assert not near.eligible


def test_priority_lead_may_use_the_headroom() -> None:
    directory = InMemoryDirectory([loc("NEAR", 0.1)])
    assert route(LEAD, 95, directory, {"NEAR": 9}, POLICY).location_id == "NEAR"
    assert route(LEAD, 95, directory, {"NEAR": 10}, POLICY).location_id is None


def test_ladder_widens_radius_then_same_state_then_pool() -> None:
    directory = InMemoryDirectory([loc("R50", 0.6), loc("R100", 1.2), loc("STATE", 4.0)])
    assert route(LEAD, 0, directory, {}, POLICY).rule == "radius_50"
    assert route(LEAD, 0, directory, {"R50": 9}, POLICY).rule == "radius_100"
    outcome = route(LEAD, 0, directory, {"R50": 9, "R100": 9}, POLICY)
    assert (outcome.rule, outcome.location_id) == ("same_state", "STATE")
    pool = route(LEAD, 0, directory, {"R50": 9, "R100": 9, "STATE": 9}, POLICY)
    assert (pool.rule, pool.reason) == ("unassigned", "all_nearby_locations_at_capacity")


def test_same_state_fallback_ignores_other_states() -> None:
    directory = InMemoryDirectory([loc("OK", 3.0, state="OK")])
    outcome = route(LEAD, 0, directory, {}, POLICY)
    assert (outcome.location_id, outcome.reason) == (None, "no_location_in_range")


def test_inactive_locations_are_not_candidates() -> None:
    directory = InMemoryDirectory([loc("PAUSED", 0.1, status="paused"), loc("OPEN", 0.2)])
    assert route(LEAD, 0, directory, {}, POLICY).location_id == "OPEN"


def test_tie_broken_by_remaining_capacity() -> None:
    directory = InMemoryDirectory([loc("A", 0.10), loc("B", 0.11, cap=40)])
    assert route(LEAD, 0, directory, {}, POLICY).location_id == "B"


def test_state_centroid_skips_radius_rules() -> None:
    centroid = Geocode(GeocodeMethod.STATE_CENTROID, 30.27, -97.74, "TX")
    directory = InMemoryDirectory([loc("NEAR", 0.1)])
    assert route(centroid, 0, directory, {}, POLICY).rule == "same_state"


def test_unroutable_goes_to_pool() -> None:
    outcome = route(Geocode(GeocodeMethod.UNROUTABLE), 0, InMemoryDirectory([]), {}, POLICY)
    assert outcome.reason == "unroutable_address"


def test_capacity_day_is_the_locations_local_date() -> None:
    instant = datetime(2026, 3, 1, 3, 30, tzinfo=UTC)  # 22:30 on Feb 28 in New York
    assert capacity_date(instant, "America/New_York") == date(2026, 2, 28)
    assert capacity_date(instant, "Europe/Berlin") == date(2026, 3, 1)
    assert capacity_date(instant, "Not/AZone") == date(2026, 2, 28)
