"""Wiring of the unassigned pool (additive to services.py / main.py): the mover behind
``POST /routes/{lead_id}/reassign``, the re-drive worker (its ContactUpdates come from the routing
group's handlers), the GHL pool tagger and its consumer group."""

from __future__ import annotations

from dataclasses import dataclass

from faststream.kafka import KafkaBroker

from leadflow_common.kafka.consumer import decode_record, subscribe_decoded_batches
from leadflow_common.kafka.publisher import EventPublisher
from leadflow_common.topics import LEADS_ASSIGNED
from router.adapters.keys import RedisKeys
from router.adapters.location_reserver import LocationReserver
from router.handlers.pool import PoolRedrive
from router.handlers.pool_tags import PoolTagger, tag_event_decoder
from router.handlers.reassign import LeadMover
from router.pool_settings import PoolSettings
from router.services import RouterServices

POOL_TAGS_GROUP = "router-pool-tags"  # GHL tag of pool leads' source contacts
EXTRA = "pool"


@dataclass
class PoolServices:
    settings: PoolSettings
    mover: LeadMover
    redrive: PoolRedrive
    tagger: PoolTagger | None

    @property
    def groups(self) -> list[str]:
        return [POOL_TAGS_GROUP] if self.tagger else []


def build_pool(svc: RouterServices, settings: PoolSettings | None = None) -> PoolServices:
    settings = settings or PoolSettings()
    rs = svc.settings
    keys = RedisKeys(rs.redis_prefix)
    publisher = EventPublisher(svc.broker, "router")
    reserver = LocationReserver(svc.redis, keys, rs.reservation_ttl_s, rs.counter_ttl_s)
    mover = LeadMover(svc.sessions, svc.decider, reserver, publisher, svc.sla)
    redrive = PoolRedrive(settings, mover, svc.routing, keys, svc.redis)
    tagger = PoolTagger(svc.ghl, settings.tag) if settings.tag_enabled and svc.ghl is not None else None
    pool = PoolServices(settings, mover, redrive, tagger)
    if settings.redrive_enabled:
        # no group of its own: a second read of ghl.events.v1 in this process cost the routing
        # group 20-30 ms of p99 (bench/e2e); the routing handlers hand pool leads' updates over
        svc.routing.pool_updates = redrive.redrive_updates
    svc.extras[EXTRA] = pool
    return pool


def pool_of(svc: RouterServices) -> PoolServices:
    pool = svc.extras.get(EXTRA)
    if not isinstance(pool, PoolServices):
        raise RuntimeError("the pool is not wired (build_pool)")
    return pool


def subscribe_pool(broker: KafkaBroker, svc: RouterServices, pool: PoolServices) -> None:
    if pool.tagger is not None:
        subscribe_decoded_batches(broker, [LEADS_ASSIGNED], POOL_TAGS_GROUP, pool.tagger.handle_batch,
                                  tag_event_decoder(decode_record), svc.settings.kafka)  # fmt: skip
