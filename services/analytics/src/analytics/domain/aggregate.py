"""Aggregate resolved activities into per-bucket counter increments (one upsert row per bucket)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from analytics.domain.attribution import Directory
from analytics.domain.facts import Activity, LeadRoute

T = TypeVar("T")
K = TypeVar("K")


def hour_utc(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def local_day(at: datetime, timezone: str) -> date:
    return at.astimezone(ZoneInfo(timezone)).date()


EPOCH_DAY = date(1970, 1, 1)


class BucketClock:
    """UTC hour and local day of instants, memoised per (timezone, UTC hour): a batch has many
    activities in few hours, and datetime/zoneinfo arithmetic per activity was most of the
    aggregation's cost. Exact: an hour in which the timezone's offset changes is computed per
    instant."""

    def __init__(self) -> None:
        self._hours: dict[int, datetime] = {}
        self._offsets: dict[tuple[str, int], int | None] = {}
        self._days: dict[int, date] = {}

    def hour(self, index: int) -> datetime:
        hour = self._hours.get(index)
        if hour is None:
            hour = self._hours[index] = datetime.fromtimestamp(index * 3600, UTC)
        return hour

    def local_day(self, at: datetime, seconds: float, index: int, timezone: str) -> date:
        key = (timezone, index)
        if key not in self._offsets:
            zone = ZoneInfo(timezone)
            start, end = self.hour(index), self.hour(index + 1)
            first, last = start.astimezone(zone).utcoffset(), end.astimezone(zone).utcoffset()
            self._offsets[key] = int(first.total_seconds()) if first == last and first is not None else None
        offset = self._offsets[key]
        if offset is None:
            return local_day(at, timezone)
        day = int((seconds + offset) // 86400)
        found = self._days.get(day)
        if found is None:
            found = self._days[day] = EPOCH_DAY + timedelta(days=day)
        return found


def _bucket(rows: dict[K, dict[str, float]], key: K) -> dict[str, float]:
    # sparse: only the counters an activity touched (the upsert adds 0 for the others); a
    # zero-filled row per bucket cost more than the aggregation itself
    row = rows.get(key)
    if row is None:
        row = rows[key] = {}
    return row


Bucket = tuple[str, datetime, date]  # (location, UTC hour, the location's local day of it)


@dataclass(slots=True)
class Increments:
    """Counter increments keyed by (location, UTC hour, local day), sparse: one row per hourly
    bucket, except in an hour that spans two local days (a timezone offset that is not a whole
    number of hours, or a change of offset), which has a row for each. The hourly, local-day and
    UTC-day rollups are all sums of these rows, so the apply sends them once and Postgres groups
    them per table (statements.ROLLUP_UPSERT)."""

    rows: dict[Bucket, dict[str, float]] = field(default_factory=dict)
    clock: BucketClock = field(default_factory=BucketClock)

    def add(self, activity: Activity, location_id: str, timezone: str) -> None:
        seconds = activity.at.timestamp()
        index = int(seconds // 3600)
        day = self.clock.local_day(activity.at, seconds, index, timezone)
        row = _bucket(self.rows, (location_id, self.clock.hour(index), day))
        for name, value in activity.deltas.items():
            row[name] = row.get(name, 0.0) + value

    @property
    def hourly(self) -> dict[tuple[str, datetime], dict[str, float]]:
        return _rollup(self.rows, lambda b: (b[0], b[1]))

    @property
    def daily(self) -> dict[tuple[str, date], dict[str, float]]:
        return _rollup(self.rows, lambda b: (b[0], b[2]))


def _rollup(rows: dict[Bucket, dict[str, float]], key: Callable[[Bucket], K]) -> dict[K, dict[str, float]]:
    out: dict[K, dict[str, float]] = {}
    for bucket, values in rows.items():
        row = _bucket(out, key(bucket))
        for name, value in values.items():
            row[name] = row.get(name, 0.0) + value
    return out


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
