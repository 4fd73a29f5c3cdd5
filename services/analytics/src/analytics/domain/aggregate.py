"""Aggregate resolved activities into per-bucket counter increments (one upsert row per bucket)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from analytics.domain.attribution import Directory
from analytics.domain.facts import COUNTERS, Activity, LeadRoute

T = TypeVar("T")


def hour_utc(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def local_day(at: datetime, timezone: str) -> date:
    return at.astimezone(ZoneInfo(timezone)).date()


def _zero() -> dict[str, float]:
    return dict.fromkeys(COUNTERS, 0.0)


@dataclass(slots=True)
class Increments:
    """Counter increments keyed by (location, UTC hour) and (location, local day)."""

    hourly: dict[tuple[str, datetime], dict[str, float]] = field(default_factory=dict)
    daily: dict[tuple[str, date], dict[str, float]] = field(default_factory=dict)
    newest: datetime | None = None

    def add(self, activity: Activity, location_id: str, timezone: str) -> None:
        hour = self.hourly.setdefault((location_id, hour_utc(activity.at)), _zero())
        day = self.daily.setdefault((location_id, local_day(activity.at, timezone)), _zero())
        for name, value in activity.deltas.items():
            hour[name] += value
            day[name] += value
        if self.newest is None or activity.at > self.newest:
            self.newest = activity.at


def aggregate(resolved: Iterable[tuple[Activity, str]], directory: Directory) -> Increments:
    increments = Increments()
    for activity, location_id in resolved:
        timezone = directory.timezone(location_id)
        if timezone is None:  # pragma: no cover - resolve() only returns locations with a timezone
            raise ValueError(f"no timezone for {location_id}")
        increments.add(activity, location_id, timezone)
    return increments


def merge_latest(items: Iterable[T], key: str, at: str = "at") -> list[T]:
    """Keep the newest item per key (ties: the later one), so a batch upserts each row once."""
    latest: dict[object, T] = {}
    for item in items:
        k = getattr(item, key)
        current = latest.get(k)
        if current is None or getattr(item, at) >= getattr(current, at):
            latest[k] = item
    return list(latest.values())


def merge_routes(routes: Iterable[LeadRoute]) -> list[LeadRoute]:
    """One row per lead: the newest decision wins; a sync adds the sub-account contact id.

    Mirrors the upsert in the lead table so the batch result does not depend on batch size."""
    merged: dict[str, LeadRoute] = {}
    for route in routes:
        current = merged.get(route.lead_id)
        merged[route.lead_id] = route if current is None else combine_routes(current, route)
    return list(merged.values())


def combine_routes(old: LeadRoute, new: LeadRoute) -> LeadRoute:
    newer = new.at is not None and (old.at is None or new.at >= old.at)
    return LeadRoute(
        lead_id=old.lead_id,
        at=max((t for t in (old.at, new.at) if t is not None), default=None),
        location_id=new.location_id if newer else (old.location_id or new.location_id),
        score=new.score if newer else old.score,
        location_contact_id=new.location_contact_id or old.location_contact_id,
    )
