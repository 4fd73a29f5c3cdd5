"""The location directory: locations.v1 → router.locations (Postgres) → Redis index.

Postgres is the router's durable copy; Redis is derived from it and rebuilt when lost
(together with the capacity counters, from the assignments table).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadflow_common.db import transaction
from leadflow_common.events.envelope import Envelope, parse_payload
from leadflow_common.events.locations import LocationProfile
from leadflow_common.kafka.dead_letter import ConsumedRecord
from leadflow_common.kafka.errors import PermanentError
from leadflow_common.logging import get_logger
from router import metrics
from router.adapters import postgres as pg
from router.adapters.location_cache import LocationCache
from router.adapters.redis_decider import RedisDecider
from router.adapters.redis_directory import RedisDirectory

log = get_logger(__name__)
# Counters of yesterday and today cover every location's local day (UTC-12 … UTC+14).
COUNTER_DAYS_BACK = 2


@dataclass
class DirectoryHandler:
    sessions: async_sessionmaker[AsyncSession]
    redis_directory: RedisDirectory
    decider: RedisDecider
    locations: LocationCache | None = None
    rebuild_grace_s: float = 0.5

    async def handle(self, record: ConsumedRecord, envelope: Envelope | None) -> None:
        if envelope is None:
            location_id = record.key_str
            if not location_id:
                raise PermanentError("locations.v1 tombstone without a key")
            async with transaction(self.sessions) as session:
                await pg.delete_location(session, location_id)
            await self.redis_directory.remove(location_id)
            if self.locations is not None:
                self.locations.forget(location_id)
            log.info("location_removed", location_id=location_id)
            return
        payload = parse_payload(envelope)
        if not isinstance(payload, LocationProfile):
            return
        async with transaction(self.sessions) as session:
            await pg.upsert_location(session, payload)
        await self.redis_directory.apply(payload)
        await self.decider.refresh_timezones()
        if self.locations is not None:
            self.locations.put(payload.location_id, payload.ghl_location_id, payload.model_dump(mode="json"))
        log.info("location_applied", location_id=payload.location_id, status=payload.status.value)

    async def ensure_loaded(self) -> bool:
        """Rebuild Redis from Postgres when its directory is missing; True if this call rebuilt."""
        if await self.redis_directory.is_loaded():
            return False
        if not await self.redis_directory.try_lock_rebuild():
            return False  # another replica is rebuilding
        try:
            # Let decisions that reserved before Redis was lost reach their commit first.
            await asyncio.sleep(self.rebuild_grace_s)
            await self.rebuild()
            return True
        finally:
            await self.redis_directory.unlock_rebuild()

    async def rebuild(self) -> None:
        async with self.sessions() as session:
            profiles = await pg.all_locations(session)
            counts = await pg.counts_since(session, _since())
        await self.redis_directory.clear_index()
        for profile in profiles:
            await self.redis_directory.apply(profile)
        await self.redis_directory.set_counters(counts, only_raise=False)
        await self.redis_directory.mark_loaded()
        await self.decider.refresh_timezones()
        metrics.DIRECTORY_REBUILDS.inc()
        log.warning("directory_rebuilt", locations=len(profiles), counters=len(counts))

    async def reconcile(self) -> int:
        """Live reconciliation: raise counters that are behind Postgres (never lowers one)."""
        async with self.sessions() as session:
            counts = await pg.counts_since(session, _since())
        return await self.redis_directory.set_counters(counts, only_raise=True)


def _since() -> date:
    return (datetime.now(UTC) - timedelta(days=COUNTER_DAYS_BACK)).date()
