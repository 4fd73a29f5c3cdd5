"""Wiring: builds the adapters and handlers from settings (nothing happens at import time)."""

from __future__ import annotations

from dataclasses import dataclass, field

from faststream.kafka import KafkaBroker
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from leadflow_common.db import autocommit_sessionmaker, make_engine, make_sessionmaker
from leadflow_common.ghl import GhlClient, GhlSettings
from leadflow_common.kafka.broker import make_broker
from leadflow_common.kafka.publisher import EventPublisher
from leadflow_common.redis import make_redis
from router.adapters.gazetteer import default_gazetteer
from router.adapters.ghl_sync import GhlLeadSync
from router.adapters.keys import RedisKeys
from router.adapters.location_cache import LocationCache
from router.adapters.redis_decider import HoursPolicy, RedisDecider
from router.adapters.redis_directory import RedisDirectory
from router.domain.geocoding import Gazetteer
from router.domain.scoring import ScoreWeights
from router.handlers.directory import DirectoryHandler
from router.handlers.routing import RoutingHandler
from router.handlers.routing_batch import BatchRouting
from router.handlers.sla import SlaTimers
from router.handlers.sync import SyncHandler
from router.settings import RouterSettings


@dataclass
class RouterServices:
    settings: RouterSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis
    broker: KafkaBroker
    gazetteer: Gazetteer
    weights: ScoreWeights
    decider: RedisDecider
    redis_directory: RedisDirectory
    directory: DirectoryHandler
    routing: RoutingHandler
    batch_routing: BatchRouting
    locations: LocationCache
    sync: SyncHandler | None
    sla: SlaTimers | None = None
    ghl: GhlClient | None = None
    extras: dict[str, object] = field(default_factory=dict)
    batch_engine: AsyncEngine | None = None  # the routing batch's own pool (no pre-ping)

    async def aclose(self) -> None:
        if self.ghl is not None:
            await self.ghl.aclose()
        await self.redis.aclose()
        await self.engine.dispose()
        if self.batch_engine is not None:
            await self.batch_engine.dispose()


def build_services(settings: RouterSettings, ghl_settings: GhlSettings | None = None) -> RouterServices:
    engine = make_engine(settings.database_url, settings.db_schema)
    sessions = make_sessionmaker(engine)
    # The routing batch's two statements (the redelivery read and the one-statement apply) run on
    # their own small pool, in autocommit, without a pre-ping: 2 Postgres round trips a batch, not
    # 7 (ping: 3, BEGIN, read, apply, COMMIT); a dead connection fails the batch, which is retried
    # (docs/decisions/0015-routing-batch-round-trips.md)
    batch_engine = make_engine(settings.database_url, settings.db_schema, pool_size=2, pre_ping=False)
    redis = make_redis(settings.redis)
    broker = make_broker(settings.kafka, "router")
    publisher = EventPublisher(broker, "router")
    keys = RedisKeys(settings.redis_prefix)
    hours = HoursPolicy(settings.hours_rule, settings.hours_band_miles, settings.sla_minutes)
    decider = RedisDecider(redis, keys, settings.routing_policy(), settings.reservation_ttl_s,
                           settings.counter_ttl_s, hours)  # fmt: skip
    sla = SlaTimers(settings, sessions, decider, publisher) if settings.sla_enabled else None
    redis_directory = RedisDirectory(redis, keys, settings.counter_ttl_s)
    weights = settings.score_weights()
    gazetteer = default_gazetteer()
    location_cache = LocationCache(sessions)
    routing = RoutingHandler(settings, sessions, decider, gazetteer, publisher, weights, sla,
                             is_franchise_account=location_cache.is_franchise_account)  # fmt: skip
    ghl: GhlClient | None = None
    sync: SyncHandler | None = None
    if settings.sync_enabled:
        ghl = GhlClient(ghl_settings or GhlSettings(), redis)
        sync = SyncHandler(sessions, GhlLeadSync(ghl), publisher, settings.sync_tag_prefix, settings.sla_tag,
                           tag_source=settings.sync_tag_source)  # fmt: skip
    return RouterServices(
        settings=settings,
        engine=engine,
        sessions=sessions,
        redis=redis,
        broker=broker,
        gazetteer=gazetteer,
        weights=weights,
        decider=decider,
        redis_directory=redis_directory,
        directory=DirectoryHandler(sessions, redis_directory, decider, location_cache),
        routing=routing,
        batch_routing=BatchRouting(routing, location_cache, autocommit_sessionmaker(batch_engine)),
        locations=location_cache,
        sync=sync,
        sla=sla,
        ghl=ghl,
        batch_engine=batch_engine,
    )
