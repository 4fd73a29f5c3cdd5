"""`analytics rebuild`: replay every topic from offset 0 into a fresh schema, then swap it in.

1. migrate a new schema and replay the topics up to the end offsets seen at the start;
2. take the swap lock exclusively (live batches hold it shared, so none is mid-write), replay
   the few records that arrived meanwhile, rename live → old and new → live, drop old, commit.
The live consumer's next batch then runs against the new tables (the engine's search_path names
the schema, not its oid) and its processed_events rows skip what the replay already applied."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from analytics.adapters.projections import SWAP_LOCK_KEY, ProjectionStore
from analytics.adapters.replay import TopicReplay
from analytics.consumer import CONSUMED_TOPICS
from analytics.decode import decode_event
from analytics.settings import AnalyticsSettings
from analytics.translate import translate
from leadflow_common.db import make_engine, make_sessionmaker
from leadflow_common.kafka.dead_letter import ConsumedRecord
from leadflow_common.logging import get_logger
from leadflow_common.migrations import upgrade
from leadflow_common.redis import make_redis

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class RebuildResult:
    schema: str
    records: int
    skipped_poison: int
    seconds: float


async def run_rebuild(
    settings: AnalyticsSettings, migrations_dir: Path, batch_size: int = 500
) -> RebuildResult:
    started = time.perf_counter()
    live = settings.db_schema
    suffix = uuid.uuid4().hex[:8]
    fresh = f"{live}_rebuild_{suffix}"
    await asyncio.to_thread(upgrade, migrations_dir, settings.database_url, fresh)
    fresh_engine = make_engine(settings.database_url, fresh)
    live_engine = make_engine(settings.database_url, live, pool_size=1)
    store = ProjectionStore(make_sessionmaker(fresh_engine), settings.consumer_group, swap_lock=False)
    poison = 0

    async def apply(records: list[ConsumedRecord]) -> None:
        nonlocal poison
        translated = []
        for record in records:
            try:
                envelope = decode_event(record)
                translated.append((envelope, translate(record.topic, record.key_str, envelope)))
            except Exception as exc:  # the live consumer dead-lettered it; it applies nothing here either
                poison += 1
                log.warning(
                    "rebuild_skipped_poison", topic=record.topic, offset=record.offset, error=repr(exc)
                )
        await store.apply(translated)

    replay = TopicReplay(settings.kafka.bootstrap_servers, [t.name for t in CONSUMED_TOPICS], batch_size)
    await replay.start()
    try:
        records = await replay.replay_until(await replay.end_offsets(), apply)
        log.info("rebuild_caught_up", schema=fresh, records=records)
        async with live_engine.begin() as conn:
            await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SWAP_LOCK_KEY})
            records += await replay.replay_until(await replay.end_offsets(), apply)
            old = f"{live}_old_{suffix}"
            await conn.execute(text(f'ALTER SCHEMA "{live}" RENAME TO "{old}"'))
            await conn.execute(text(f'ALTER SCHEMA "{fresh}" RENAME TO "{live}"'))
            await conn.execute(text(f'DROP SCHEMA "{old}" CASCADE'))
    finally:
        await replay.stop()
        await fresh_engine.dispose()
        await live_engine.dispose()
    await _invalidate_cache(settings)
    seconds = time.perf_counter() - started
    log.info("rebuild_swapped", schema=live, records=records, poison=poison, seconds=round(seconds, 2))
    return RebuildResult(live, records, poison, seconds)


async def _invalidate_cache(settings: AnalyticsSettings) -> None:
    redis = make_redis(settings.redis)
    try:
        await redis.incr(f"{settings.redis_prefix}:version")
    except Exception as exc:
        log.warning("cache_bump_failed", error=repr(exc))
    finally:
        await redis.aclose()
