"""Per-location totals over a window, their derived metrics, and ranking for the dashboards."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from analytics.domain.derived import Derived, derive, derived_metric, unassigned_rate
from analytics.domain.facts import COUNTERS


@dataclass(frozen=True, slots=True)
class LocationTotals:
    location_id: str
    name: str
    region: str | None
    state: str | None
    status: str
    onboarding_state: str | None
    daily_capacity: int
    assigned_today: float
    counters: dict[str, float] = field(default_factory=dict)

    def derived(self, hours: float) -> Derived:
        c = self.counters
        return derive(
            leads=c.get("leads", 0.0),
            won=c.get("won", 0.0),
            score_sum=c.get("score_sum", 0.0),
            hours=hours,
            assigned_today=self.assigned_today,
            daily_capacity=self.daily_capacity,
            counters=c,
        )

    def metric(self, name: str, hours: float) -> float | None:
        if name in COUNTERS:
            return self.counters.get(name, 0.0)
        return derived_metric(name, self.counters, hours, self.assigned_today, self.daily_capacity)


DERIVED_METRICS: tuple[str, ...] = (
    "conversion_rate",
    "avg_score",
    "capacity_utilisation",
    "leads_per_hour",
    "speed_to_lead_p50_min",
    "speed_to_lead_p90_min",
    "sla_breaches_per_hour",
    "sla_met_rate",
)
SORTABLE: tuple[str, ...] = (*COUNTERS, *DERIVED_METRICS, "location_id")


class UnknownMetric(ValueError):
    pass


def rank(rows: list[LocationTotals], sort: str, descending: bool, hours: float) -> list[LocationTotals]:
    """Ordered by the metric (missing values last), ties by location id: a total order."""
    if sort == "location_id":
        return sorted(rows, key=lambda r: r.location_id, reverse=descending)
    if sort not in SORTABLE:
        raise UnknownMetric(sort)
    sign = -1.0 if descending else 1.0

    def key(row: LocationTotals) -> tuple[int, float, str]:
        value = row.metric(sort, hours)
        return (value is None, sign * (value or 0.0), row.location_id)

    return sorted(rows, key=key)


@dataclass(frozen=True, slots=True)
class Overview:
    totals: dict[str, float]
    conversion_rate: float | None
    avg_score: float | None
    unassigned_rate: float | None
    top: list[LocationTotals]
    speed_to_lead_p50_min: float | None
    speed_to_lead_p90_min: float | None
    sla_breaches_per_hour: float | None
    bottom: list[LocationTotals]


def overview(rows: list[LocationTotals], unassigned: float, hours: float, k: int = 5) -> Overview:
    totals = {name: sum(r.counters.get(name, 0.0) for r in rows) for name in COUNTERS}
    totals["unassigned"] = unassigned
    converting = [r for r in rows if r.counters.get("leads")]
    ranked = rank(converting, "conversion_rate", descending=True, hours=hours)
    summary = derive(
        leads=totals["leads"],
        won=totals["won"],
        score_sum=totals["score_sum"],
        hours=hours,
        assigned_today=0,
        daily_capacity=0,
        counters=totals,
    )
    return Overview(
        totals=totals,
        conversion_rate=summary.conversion_rate,
        avg_score=summary.avg_score,
        unassigned_rate=unassigned_rate(totals["leads"], unassigned),
        top=ranked[:k],
        bottom=list(reversed(ranked[-k:])) if ranked else [],
        speed_to_lead_p50_min=summary.speed_to_lead_p50_min,
        speed_to_lead_p90_min=summary.speed_to_lead_p90_min,
        sla_breaches_per_hour=summary.sla_breaches_per_hour,
    )


def window_hours(start: datetime, end: datetime) -> float:
    return max((end - start).total_seconds() / 3600.0, 1.0)


@dataclass(frozen=True, slots=True)
class WindowParts:
    """A window split into whole UTC days (read from the daily rollup) and the hours at its edges.

    Summing ``hours`` from the hourly rows and ``days`` from the rollup gives exactly what summing
    every hourly row in [start, end) gives, with up to 24x fewer rows read."""

    hours: tuple[tuple[datetime, datetime], ...]
    days: tuple[date, date] | None


def split_window(start: datetime, end: datetime) -> WindowParts:
    first = _midnight(start)
    if first < start:
        first += timedelta(days=1)
    last = _midnight(end)
    if first >= last:
        return WindowParts(((start, end),), None)
    return WindowParts(((start, first), (last, end)), (first.date(), last.date()))


def _midnight(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
