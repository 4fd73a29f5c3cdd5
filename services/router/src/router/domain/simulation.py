"""Replaying historic leads against a location set (pure): distribution, unassigned rate and
distance percentiles, to tune radius and threshold before a launch."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from router.domain.directory import InMemoryDirectory
from router.domain.geocoding import Gazetteer, geocode
from router.domain.ladder import route
from router.domain.lead import Lead
from router.domain.rules import RoutingPolicy
from router.domain.scoring import ScoreWeights, score_lead


@dataclass
class SimulationReport:
    leads: int = 0
    by_location: Counter[str] = field(default_factory=Counter)
    by_rule: Counter[str] = field(default_factory=Counter)
    unassigned_reasons: Counter[str] = field(default_factory=Counter)
    distances: list[float] = field(default_factory=list)

    @property
    def unassigned(self) -> int:
        return sum(self.unassigned_reasons.values())

    @property
    def unassigned_rate(self) -> float:
        return self.unassigned / self.leads if self.leads else 0.0

    def distance_percentile(self, pct: float) -> float | None:
        if not self.distances:
            return None
        ordered = sorted(self.distances)
        index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
        return ordered[index]


def simulate(
    leads: list[tuple[str, Lead]],
    directory: InMemoryDirectory,
    gazetteer: Gazetteer,
    policy: RoutingPolicy,
    weights: ScoreWeights | None = None,
) -> SimulationReport:
    """``leads``: (capacity day, lead) in arrival order; counters restart every day."""
    report = SimulationReport()
    reserved_by_day: dict[str, dict[str, int]] = {}
    for day, lead in leads:
        reserved = reserved_by_day.setdefault(day, {})
        outcome = route(geocode(lead, gazetteer), score_lead(lead, weights), directory, reserved, policy)
        report.leads += 1
        report.by_rule[outcome.rule] += 1
        if outcome.location_id is None:
            report.unassigned_reasons[outcome.reason or "unknown"] += 1
        else:
            report.by_location[outcome.location_id] += 1
            if outcome.distance_miles is not None:
                report.distances.append(outcome.distance_miles)
    return report
