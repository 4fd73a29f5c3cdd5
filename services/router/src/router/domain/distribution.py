"""Fair distribution among equals: which of several eligible, about equally near locations gets
the lead (the reference of decide.lua's ``choose_fair``; pure).

The band is every eligible candidate of the step within ``band_miles`` of the nearest one. The
fair policies are one stride scheduler with three weights: every location has a *pass* (kept in
Redis, shared by every router replica); the candidate with the smallest ``pass + 1/weight`` (its
virtual finish time) wins and its pass becomes that sum. Weight 1 is round robin; the location's
``routing_weight`` is ``weighted``; its remaining capacity is ``weighted_capacity``. A location
without a pass, or one far behind (paused for a week), joins one turn behind the band's leader
instead of taking every lead until it has caught up. Ties: nearer first, then the smaller id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from router.domain.policies import TiePolicy
from router.domain.rules import Candidate


@dataclass(frozen=True, slots=True)
class FairPick:
    chosen: Candidate
    finish: float  # the chosen one's new pass
    band_size: int


def in_band(eligible: list[Candidate], band_miles: float) -> list[Candidate]:
    nearest = min(c.distance_miles for c in eligible)
    return [c for c in eligible if c.distance_miles <= nearest + band_miles]


def weight(c: Candidate, policy: TiePolicy, ratio: float, weights: Mapping[str, float]) -> float:
    if policy == TiePolicy.WEIGHTED:
        return weights.get(c.location_id, 1.0)
    if policy == TiePolicy.WEIGHTED_CAPACITY:
        return c.remaining(ratio)
    return 1.0


def fair_pick(
    eligible: list[Candidate],
    passes: Mapping[str, float],
    policy: TiePolicy,
    band_miles: float,
    ratio: float,
    weights: Mapping[str, float] | None = None,
) -> FairPick:
    """The fair policies' choice among ``eligible`` (non-empty; ``policy`` not NEAREST)."""
    band = in_band(eligible, band_miles)
    known = [passes[c.location_id] for c in band if c.location_id in passes]
    top = max(known, default=0.0)
    best: tuple[float, float, str] | None = None
    pick: FairPick | None = None
    for c in band:
        stride = 1 / weight(c, policy, ratio, weights or {})
        start = max(passes.get(c.location_id, top - stride), top - stride)
        key = (start + stride, c.distance_miles, c.location_id)
        if best is None or key < best:
            best, pick = key, FairPick(c, start + stride, len(band))
    assert pick is not None
    return pick
