"""Derived metrics computed from the projected counters."""

from __future__ import annotations

from dataclasses import dataclass


def ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


@dataclass(frozen=True, slots=True)
class Derived:
    conversion_rate: float | None
    avg_score: float | None
    capacity_utilisation: float | None
    leads_per_hour: float | None


def derive(
    *, leads: float, won: float, score_sum: float, hours: float, assigned_today: float, daily_capacity: int
) -> Derived:
    """Conversion = won / leads; average score = score sum / leads; utilisation = leads assigned
    today / daily capacity; leads per hour over the queried window."""
    return Derived(
        conversion_rate=ratio(won, leads),
        avg_score=ratio(score_sum, leads),
        capacity_utilisation=ratio(assigned_today, daily_capacity),
        leads_per_hour=ratio(leads, hours),
    )


def unassigned_rate(assigned: float, unassigned: float) -> float | None:
    return ratio(unassigned, assigned + unassigned)
