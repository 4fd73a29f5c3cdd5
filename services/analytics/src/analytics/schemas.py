"""Response models of the dashboard APIs (OpenAPI)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from analytics.domain.performance import LocationTotals


class Counters(BaseModel):
    leads: float = 0
    score_sum: float = 0
    unassigned: float = 0
    won: float = 0
    lost: float = 0
    appointments: float = 0
    synced: float = 0
    sync_failures: float = 0
    touches: float = 0
    touch_seconds: float = 0
    touched_in_sla: float = 0
    sla_breaches: float = 0
    reassignments: float = 0
    # speed-to-lead histogram: first touches within n minutes of the assignment (see domain/speed.py)
    stl_le_1m: float = 0
    stl_le_2m: float = 0
    stl_le_5m: float = 0
    stl_le_10m: float = 0
    stl_le_15m: float = 0
    stl_le_30m: float = 0
    stl_le_60m: float = 0
    stl_le_120m: float = 0
    stl_le_240m: float = 0
    stl_le_480m: float = 0
    stl_le_1440m: float = 0
    stl_gt_1440m: float = 0


class LocationPerformance(BaseModel):
    location_id: str
    name: str
    region: str | None
    state: str | None
    status: str
    onboarding_state: str | None
    daily_capacity: int
    assigned_today: float
    counters: Counters
    conversion_rate: float | None
    avg_score: float | None
    capacity_utilisation: float | None
    leads_per_hour: float | None
    speed_to_lead_p50_min: float | None = None
    speed_to_lead_p90_min: float | None = None
    sla_breaches_per_hour: float | None = None
    sla_met_rate: float | None = None

    @classmethod
    def of(cls, row: LocationTotals, hours: float) -> LocationPerformance:
        d = row.derived(hours)
        return cls(
            location_id=row.location_id,
            name=row.name,
            region=row.region,
            state=row.state,
            status=row.status,
            onboarding_state=row.onboarding_state,
            daily_capacity=row.daily_capacity,
            assigned_today=row.assigned_today,
            counters=Counters(**row.counters),
            conversion_rate=d.conversion_rate,
            avg_score=d.avg_score,
            capacity_utilisation=d.capacity_utilisation,
            leads_per_hour=d.leads_per_hour,
            speed_to_lead_p50_min=d.speed_to_lead_p50_min,
            speed_to_lead_p90_min=d.speed_to_lead_p90_min,
            sla_breaches_per_hour=d.sla_breaches_per_hour,
            sla_met_rate=d.sla_met_rate,
        )


class PerformancePage(BaseModel):
    items: list[LocationPerformance]
    next_cursor: str | None
    total: int
    sort: str
    order: str


class MetricPoint(Counters):
    bucket: datetime | date
    conversion_rate: float | None
    avg_score: float | None
    speed_to_lead_p50_min: float | None = None
    speed_to_lead_p90_min: float | None = None


class LocationMetrics(BaseModel):
    location: LocationPerformance
    grain: str
    start: datetime
    end: datetime
    points: list[MetricPoint]


class OverviewResponse(BaseModel):
    start: datetime
    end: datetime
    totals: Counters
    conversion_rate: float | None
    avg_score: float | None
    unassigned_rate: float | None
    speed_to_lead_p50_min: float | None = None
    speed_to_lead_p90_min: float | None = None
    sla_breaches_per_hour: float | None = None
    locations: int
    top: list[LocationPerformance]
    bottom: list[LocationPerformance]
    events_applied: int
    newest_event_at: datetime | None
    freshness_seconds: float | None


class Facets(BaseModel):
    region: list[str]
    state: list[str]
    status: list[str]
