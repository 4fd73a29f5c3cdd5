"""Derived metrics computed from the projected counters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from analytics.domain.speed import percentile_minutes


def ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


@dataclass(frozen=True, slots=True)
class Derived:
    conversion_rate: float | None
    avg_score: float | None
    capacity_utilisation: float | None
    leads_per_hour: float | None
    speed_to_lead_p50_min: float | None = None
    speed_to_lead_p90_min: float | None = None
    sla_breaches_per_hour: float | None = None
    sla_met_rate: float | None = None


def derive(
    *,
    leads: float,
    won: float,
    score_sum: float,
    hours: float,
    assigned_today: float,
    daily_capacity: int,
    counters: Mapping[str, float] | None = None,
) -> Derived:
    """Conversion = won / leads; average score = score sum / leads; utilisation = leads assigned
    today / daily capacity; leads per hour over the queried window; speed-to-lead percentiles from
    the histogram counters; SLA breaches per hour; SLA met = touched within the SLA / (touches +
    breaches)."""
    c = counters or {}
    breaches = c.get("sla_breaches", 0.0)
    return Derived(
        conversion_rate=ratio(won, leads),
        avg_score=ratio(score_sum, leads),
        capacity_utilisation=ratio(assigned_today, daily_capacity),
        leads_per_hour=ratio(leads, hours),
        speed_to_lead_p50_min=percentile_minutes(c, 0.5),
        speed_to_lead_p90_min=percentile_minutes(c, 0.9),
        sla_breaches_per_hour=ratio(breaches, hours),
        sla_met_rate=ratio(c.get("touched_in_sla", 0.0), c.get("touches", 0.0) + breaches),
    )


def unassigned_rate(assigned: float, unassigned: float) -> float | None:
    return ratio(unassigned, assigned + unassigned)


def derived_metric(
    name: str, counters: Mapping[str, float], hours: float, assigned_today: float, daily_capacity: int
) -> float | None:
    """One derived metric, computed alone (ranking sorts every location by one of them)."""
    c = counters
    match name:
        case "conversion_rate":
            return ratio(c.get("won", 0.0), c.get("leads", 0.0))
        case "avg_score":
            return ratio(c.get("score_sum", 0.0), c.get("leads", 0.0))
        case "capacity_utilisation":
            return ratio(assigned_today, daily_capacity)
        case "leads_per_hour":
            return ratio(c.get("leads", 0.0), hours)
        case "speed_to_lead_p50_min":
            return percentile_minutes(c, 0.5)
        case "speed_to_lead_p90_min":
            return percentile_minutes(c, 0.9)
        case "sla_breaches_per_hour":
            return ratio(c.get("sla_breaches", 0.0), hours)
        case "sla_met_rate":
            return ratio(c.get("touched_in_sla", 0.0), c.get("touches", 0.0) + c.get("sla_breaches", 0.0))
    raise KeyError(name)
