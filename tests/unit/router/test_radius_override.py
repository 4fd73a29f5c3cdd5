"""The reference ladder applies a location's radius override as decide.lua does: a lead past it
is not that location's, whatever the step or rule (the next one takes it, or the pool)."""

from __future__ import annotations

from router.domain.directory import OUT_OF_REACH, DirectoryEntry, InMemoryDirectory
from router.domain.ladder import route
from router.domain.rules import RoutingPolicy
from tests.unit.router.test_rules import LEAD, POLICY, loc


def reach(location_id: str, dlat: float, miles: float | None) -> DirectoryEntry:
    return DirectoryEntry(location_id, 30.27 + dlat, -97.74, 10, "active", "TX", radius_override_miles=miles)


def test_a_nearer_location_whose_override_is_shorter_than_the_lead_is_skipped() -> None:
    # NEAR ~10.4 mi away takes leads only within 5 mi: FAR (~17 mi) gets it, still in the 25 mi step
    directory = InMemoryDirectory([reach("NEAR", 0.15, 5.0), loc("FAR", 0.25)])
    outcome = route(LEAD, 50, directory, {}, POLICY)
    assert (outcome.location_id, outcome.rule) == ("FAR", "radius_25")
    near = next(c for c in outcome.candidates if c.location_id == "NEAR")
    assert (near.status, near.eligible) == (OUT_OF_REACH, False)


def test_within_its_override_or_without_one_the_location_takes_the_lead() -> None:
    assert route(LEAD, 50, InMemoryDirectory([reach("NEAR", 0.15, 11.0), loc("FAR", 0.25)]), {},
                 POLICY).location_id == "NEAR"  # fmt: skip
    assert route(LEAD, 50, InMemoryDirectory([reach("NEAR", 0.15, None), loc("FAR", 0.25)]), {},
                 POLICY).location_id == "NEAR"  # fmt: skip


def test_the_only_location_out_of_reach_leaves_the_lead_in_the_pool_even_on_the_state_step() -> None:
    outcome = route(LEAD, 50, InMemoryDirectory([reach("ONLY", 0.15, 5.0)]), {}, POLICY)
    assert (outcome.location_id, outcome.rule, outcome.reason) == (None, "unassigned", "no_location_in_range")


def test_a_territory_owner_out_of_its_reach_is_unavailable() -> None:
    directory = InMemoryDirectory([reach("OWNER", 0.15, 5.0), loc("OTHER", 0.25)])
    outcome = route(LEAD, 50, directory, {}, POLICY, zip5="78701", territories={"78701": "OWNER"})
    assert outcome.location_id == "OTHER"
    pool = RoutingPolicy(territory_fallback=POLICY.territory_fallback.__class__("pool"))
    refused = route(LEAD, 50, directory, {}, pool, zip5="78701", territories={"78701": "OWNER"})
    assert (refused.location_id, refused.reason) == (None, "territory_owner_unavailable")
