"""An in-process copy of what a decision needs to know about a location besides Redis: its GHL
sub-account id and the hours its SLA timer counts in. Loaded from router.locations, refreshed
by ``updated_at`` watermark (every replica, whichever consumed the locations.v1 record), and read
through on a miss, so a decision never waits for a Postgres read per lead."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from router.adapters.tables import locations
from router.domain.hours import WeeklyHours
from router.profile_hours import profile_hours

REFRESH_LOOKBACK = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class CachedLocation:
    location_id: str
    ghl_location_id: str | None
    hours: WeeklyHours
    timezone: str
    region: str | None


def _cached(row: dict[str, object]) -> CachedLocation:
    profile = row["profile"]
    assert isinstance(profile, dict)
    hours, tz = profile_hours(profile)
    region = profile.get("region")
    return CachedLocation(
        str(row["location_id"]),
        str(row["ghl_location_id"]) if row["ghl_location_id"] else None,
        hours,
        tz,
        str(region) if region else None,
    )


class LocationCache:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._by_id: dict[str, CachedLocation] = {}
        self._ghl_ids: set[str] = set()
        self._watermark: datetime | None = None

    def get(self, location_id: str) -> CachedLocation | None:
        return self._by_id.get(location_id)

    def is_franchise_account(self, ghl_location_id: str) -> bool:
        """A sub-account of a location in the directory (kept after offboarding: its contacts are
        still no leads)."""
        return ghl_location_id in self._ghl_ids

    def _store(self, cached: CachedLocation) -> None:
        self._by_id[cached.location_id] = cached
        if cached.ghl_location_id:
            self._ghl_ids.add(cached.ghl_location_id)

    async def refresh(self) -> int:
        """Load rows changed since the last refresh; the number loaded."""
        stmt = select(locations.c.location_id, locations.c.ghl_location_id, locations.c.profile,
                      locations.c.updated_at)  # fmt: skip
        if self._watermark is not None:
            # updated_at is the writer's transaction start: look back so a slow commit with an
            # earlier stamp than the newest row seen is still picked up.
            stmt = stmt.where(locations.c.updated_at >= self._watermark - REFRESH_LOOKBACK)
        async with self._sessions() as session:
            rows = [dict(r._mapping) for r in (await session.execute(stmt)).all()]
        for row in rows:
            self._store(_cached(row))
            updated = row["updated_at"]
            assert isinstance(updated, datetime)
            if self._watermark is None or updated > self._watermark:
                self._watermark = updated
        return len(rows)

    async def ensure(self, location_ids: Iterable[str]) -> None:
        """Read through for ids not cached yet (a location added since the last refresh)."""
        missing = {i for i in location_ids if i not in self._by_id}
        if not missing:
            return
        stmt = select(locations.c.location_id, locations.c.ghl_location_id, locations.c.profile).where(
            locations.c.location_id.in_(missing)
        )
        async with self._sessions() as session:
            for row in (await session.execute(stmt)).all():
                self._store(_cached(dict(row._mapping)))

    def forget(self, location_id: str) -> None:
        self._by_id.pop(location_id, None)

    def put(self, location_id: str, ghl_location_id: str | None, profile: dict[str, object]) -> None:
        """What this replica's directory consumer just applied (others catch up by refresh)."""
        self._store(
            _cached({"location_id": location_id, "ghl_location_id": ghl_location_id, "profile": profile})
        )
