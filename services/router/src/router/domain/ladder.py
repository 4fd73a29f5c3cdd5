"""The fallback ladder run against an in-memory directory and counters (pure reference of the
Redis decision script; the simulator and the unit tests use it). Candidates are reported like the
script does: the ``report_candidates`` nearest seen plus the chosen one (the script also reports
the eligible ones of the business-hours band, which this reference has no use for). Territories
(``territories``: zip → owner) and the fair tie policies (``passes``: the shared turns) are applied
as the script does, and so is each location's radius override (``DirectoryEntry.status_at``);
returning leads are not modelled here (they need the contact history)."""

from __future__ import annotations

import sys
from collections.abc import Mapping

from router.domain.directory import InMemoryDirectory, haversine_miles
from router.domain.distribution import fair_pick
from router.domain.geocoding import Geocode, GeocodeMethod
from router.domain.policies import TerritoryFallback, TiePolicy
from router.domain.rules import (
    SAME_STATE,
    UNASSIGNED,
    Candidate,
    RouteOutcome,
    RoutingPolicy,
    is_eligible,
    pick,
    radius_rule,
    unassigned_reason,
)
from router.domain.territory import TERRITORY, TERRITORY_FULL, TERRITORY_OWNER_UNAVAILABLE

STATE_SEARCH_MILES = 5000.0


def route(
    geo: Geocode,
    score: float,
    directory: InMemoryDirectory,
    reserved: dict[str, int],
    policy: RoutingPolicy,
    book: bool = True,
    zip5: str | None = None,
    territories: Mapping[str, str] | None = None,
    passes: dict[str, float] | None = None,
) -> RouteOutcome:
    """Decide (and, when ``book``, reserve in ``reserved``) one lead. ``passes``: the fair
    policies' state, advanced when ``book`` (a fresh dict per run when None)."""
    if not geo.routable or geo.lat is None or geo.lon is None:
        return RouteOutcome(UNASSIGNED, None, None, None, (), unassigned_reason(False, []))
    ratio = policy.limit_ratio(score)
    seen: dict[str, Candidate] = {}
    passes = {} if passes is None else passes
    owner = (territories or {}).get(zip5 or "")
    if owner is not None:
        entry = directory.entry(owner)
        used = reserved.get(owner, 0)
        miles = round(haversine_miles(geo.lat, geo.lon, entry.lat, entry.lon), 4)
        status = entry.status_at(miles)
        ok = is_eligible(status, used, entry.daily_capacity, ratio)
        seen[owner] = Candidate(owner, miles, used, entry.daily_capacity, status, ok, TERRITORY)
        if ok:
            if book:
                reserved[owner] = used + 1
            return RouteOutcome(TERRITORY, owner, miles, None, (seen[owner],))
        if policy.territory_fallback == TerritoryFallback.POOL:
            reason = TERRITORY_FULL if status == "active" else TERRITORY_OWNER_UNAVAILABLE
            return RouteOutcome(UNASSIGNED, None, None, None, (seen[owner],), reason)
    steps: list[tuple[str, float, str | None]] = []
    if geo.method != GeocodeMethod.STATE_CENTROID:
        steps += [(radius_rule(r), r, None) for r in policy.radii_miles]
    if geo.state:
        steps.append((SAME_STATE, STATE_SEARCH_MILES, geo.state))
    capped = False
    for rule, radius, state in steps:
        fresh: list[Candidate] = []
        # every location inside the radius (what the script's growing COUNT ends up seeing), up to
        # ``max_examined`` locations per decision in all
        for location_id, distance in directory.near(geo.lat, geo.lon, radius, sys.maxsize, state):
            if location_id in seen:
                continue
            if len(seen) >= policy.max_examined:
                capped = True
                break
            entry = directory.entry(location_id)
            used = reserved.get(location_id, 0)
            status = entry.status_at(distance)
            candidate = Candidate(
                location_id,
                distance,
                used,
                entry.daily_capacity,
                status,
                is_eligible(status, used, entry.daily_capacity, ratio),
                rule,
            )
            seen[location_id] = candidate
            fresh.append(candidate)
        chosen, fired = pick(fresh, ratio, policy.tie_miles), None
        eligible = [c for c in fresh if c.eligible]
        if chosen is not None and policy.tie_policy != TiePolicy.NEAREST:
            weights = {c.location_id: directory.entry(c.location_id).weight for c in eligible}
            fair = fair_pick(eligible, passes, policy.tie_policy, policy.fair_band_miles, ratio, weights)
            chosen, fired = fair.chosen, policy.tie_policy.value
            if book:
                passes[chosen.location_id] = fair.finish
        if chosen is not None:
            if book:
                reserved[chosen.location_id] = reserved.get(chosen.location_id, 0) + 1
            return RouteOutcome(rule, chosen.location_id, chosen.distance_miles, None,
                                reported(seen, policy.report_candidates, chosen), policy=fired)  # fmt: skip
        if capped:
            break
    candidates = reported(seen, policy.report_candidates, None)
    return RouteOutcome(UNASSIGNED, None, None, None, candidates, unassigned_reason(True, candidates))


def reported(seen: dict[str, Candidate], keep: int, chosen: Candidate | None) -> tuple[Candidate, ...]:
    """The ``keep`` nearest candidates seen, plus the chosen one (the decision log stays bounded)."""
    out = list(seen.values())[:keep]
    if chosen is not None and chosen not in out:
        out.append(chosen)
    return tuple(out)
