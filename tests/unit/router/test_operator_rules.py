"""The pure parts of territories, fair distribution and returning leads."""

from __future__ import annotations

from collections import Counter

import pytest

from router.adapters.redis_decider import lead_request, parse_reply, with_route_note
from router.domain.directory import DirectoryEntry, InMemoryDirectory
from router.domain.distribution import fair_pick
from router.domain.geocoding import Geocode, GeocodeMethod
from router.domain.ladder import route
from router.domain.lead import Lead
from router.domain.policies import TerritoryFallback, TiePolicy
from router.domain.returning import contact_keys, normalize_email, normalize_phone, within_window
from router.domain.rules import Candidate, RoutingPolicy
from router.domain.territory import owned_zips, territory_changes
from router.settings import RouterSettings


def cand(location_id: str, miles: float, reserved: int = 0, cap: int = 100) -> Candidate:
    return Candidate(location_id, miles, reserved, cap, "active", True, "radius_25")


def run(policy: TiePolicy, pool: list[Candidate], n: int, weights: dict[str, float] | None = None,
        passes: dict[str, float] | None = None) -> Counter[str]:  # fmt: skip
    passes = dict(passes or {})
    picks: Counter[str] = Counter()
    for _ in range(n):
        pick = fair_pick(pool, passes, policy, 5.0, 1.0, weights)
        passes[pick.chosen.location_id] = pick.finish
        picks[pick.chosen.location_id] += 1
    return picks


def test_round_robin_takes_turns_inside_the_band_only() -> None:
    pool = [cand("A", 1.0), cand("B", 2.0), cand("C", 5.9), cand("FAR", 6.5)]
    assert run(TiePolicy.ROUND_ROBIN, pool, 30) == Counter({"A": 10, "B": 10, "C": 10})
    first = fair_pick(pool, {}, TiePolicy.ROUND_ROBIN, 5.0, 1.0)
    assert (first.chosen.location_id, first.band_size) == ("A", 3)  # equal passes: the nearest


def test_a_location_back_after_a_long_absence_joins_one_turn_behind() -> None:
    pool = [cand("A", 1.0), cand("B", 2.0)]
    picks = run(TiePolicy.ROUND_ROBIN, pool, 10, passes={"A": 100.0, "B": 3.0})
    assert picks == Counter({"A": 5, "B": 5})  # not ten for B while it "catches up"


def test_weighted_shares_follow_the_weights() -> None:
    pool = [cand("A", 1.0), cand("B", 1.5), cand("C", 2.0)]
    assert run(TiePolicy.WEIGHTED, pool, 40, {"A": 2.0}) == Counter({"A": 20, "B": 10, "C": 10})


def test_weighted_capacity_prefers_the_most_remaining() -> None:
    big, small = cand("BIG", 1.0, reserved=0, cap=90), cand("SMALL", 1.2, reserved=0, cap=10)
    pick = fair_pick([big, small], {"BIG": 0.0, "SMALL": 0.0}, TiePolicy.WEIGHTED_CAPACITY, 5.0, 1.0)
    assert pick.chosen.location_id == "BIG" and pick.finish == pytest.approx(1 / 90)


def test_owned_zips_and_map_changes() -> None:
    assert owned_zips(["78702-1234", " 78701", "bad", "2115"]) == ("02115", "78701", "78702")
    removed, owned, taken = territory_changes("L1", ["1", "2"], ["2", "3"], {"1": "L1", "2": "L1", "3": "L9"})
    assert (removed, owned, taken) == (["1"], ["2", "3"], [("3", "L9")])
    # a zip another location took meanwhile is not removed from it
    assert territory_changes("L1", ["1"], [], {"1": "L2"})[0] == []


def test_contact_keys_normalise_email_and_phone() -> None:
    assert normalize_email(" Ann@X.io ") == "ann@x.io" and normalize_email("nope") is None
    assert normalize_phone("+1 (512) 555-0100") == normalize_phone("512.555.0100") == "5125550100"
    assert normalize_phone("123") is None
    assert contact_keys("Ann@X.io", "512 555 0100") == contact_keys("ann@x.io", "+15125550100")
    assert len(contact_keys("ann@x.io", None)) == 1 and contact_keys(None, "") == ()
    assert all("@" not in k and "512" not in k for k in contact_keys("ann@x.io", "5125550100"))
    assert within_window(0, 90 * 86400, 90) and not within_window(0, 90 * 86400 + 1, 90)
    assert not within_window(0, 1, 0)


def test_lead_request_carries_zip_and_contacts() -> None:
    geo = Geocode(GeocodeMethod.POSTAL_CODE, 30.0, -97.0, "TX")
    request = lead_request(Lead("c1", email="a@b.co", phone="5125550100", postal_code="78701-0001"), geo, 5.0)
    assert (request.lead_id, request.zip5, len(request.contacts)) == ("c1", "78701", 2)


def test_pool_reply_and_route_note() -> None:
    c = [b"OWNER", b"14.1", 2, 2, b"active", 0, b"territory", b"2026-06-10", b"", b"America/Chicago"]
    pooled = parse_reply([b"pool", b"territory_full", b"", b"", b"", [c], b"", b""], True)
    assert (pooled.rule, pooled.location_id, pooled.reason) == ("unassigned", None, "territory_full")
    booked = parse_reply(
        [b"booked", b"radius_25", b"A", b"1.0", b"2026-06-10", [], b"tie round_robin: A", b"round_robin"],
        True,
    )
    assert (booked.policy, booked.route_note) == ("round_robin", "tie round_robin: A")
    noted = with_route_note(booked)
    assert noted.hours_note == "tie round_robin: A"
    old_reply = parse_reply([b"booked", b"radius_25", b"A", b"1.0", b"2026-06-10", []], True)
    assert (old_reply.policy, old_reply.route_note, with_route_note(old_reply)) == (None, None, old_reply)


def test_settings_map_to_the_policy_and_default_to_todays_behaviour() -> None:
    default = RouterSettings().routing_policy()
    assert (default.tie_policy, default.territory_fallback, default.returning_window_days) == (
        TiePolicy.NEAREST, TerritoryFallback.NEAREST, 0.0)  # fmt: skip
    policy = RouterSettings(tie_policy="round_robin", fair_band_miles=2, territory_fallback="pool",
                            returning_enabled=True, returning_window_days=30).routing_policy()  # fmt: skip
    assert (policy.tie_policy, policy.fair_band_miles) == (TiePolicy.ROUND_ROBIN, 2.0)
    assert (policy.territory_fallback, policy.returning_window_days) == (TerritoryFallback.POOL, 30.0)


def ladder_loc(location_id: str, dlat: float, cap: int = 10, status: str = "active") -> DirectoryEntry:
    return DirectoryEntry(location_id, 30.27 + dlat, -97.74, cap, status, "TX")


LADDER_LEAD = Geocode(GeocodeMethod.POSTAL_CODE, 30.27, -97.74, "TX")


def test_reference_ladder_territory_then_fallback() -> None:
    directory = InMemoryDirectory([ladder_loc("NEAR", 0.01), ladder_loc("OWNER", 0.2, cap=2)])
    owners = {"78701": "OWNER"}
    reserved: dict[str, int] = {}
    outs = [route(LADDER_LEAD, 0, directory, reserved, RoutingPolicy(), zip5="78701", territories=owners)
            for _ in range(3)]  # fmt: skip
    assert [(o.rule, o.location_id) for o in outs] == [("territory", "OWNER")] * 2 + [("radius_25", "NEAR")]
    pool = RoutingPolicy(territory_fallback=TerritoryFallback.POOL)
    pooled = route(LADDER_LEAD, 0, directory, reserved, pool, zip5="78701", territories=owners)
    assert (pooled.location_id, pooled.reason) == (None, "territory_full")
    assert (
        route(LADDER_LEAD, 0, directory, reserved, pool, zip5="78799", territories=owners).location_id
        == "NEAR"
    )


def test_reference_ladder_round_robin_shares_turns() -> None:
    directory = InMemoryDirectory([ladder_loc(f"E{n}", 0.01 * n, cap=100) for n in range(3)])
    policy = RoutingPolicy(tie_policy=TiePolicy.ROUND_ROBIN)
    reserved: dict[str, int] = {}
    passes: dict[str, float] = {}
    outs = [route(LADDER_LEAD, 0, directory, reserved, policy, passes=passes) for _ in range(9)]
    assert Counter(o.location_id for o in outs) == Counter({"E0": 3, "E1": 3, "E2": 3})
    assert {o.policy for o in outs} == {"round_robin"}
    assert route(LADDER_LEAD, 0, directory, {}, RoutingPolicy()).policy is None
