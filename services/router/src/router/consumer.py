"""The router's Kafka subscriptions (thin: each hands records or batches to its handler)."""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from leadflow_common.kafka.consumer import subscribe_batches, subscribe_records
from leadflow_common.settings import KafkaSettings
from leadflow_common.topics import GHL_EVENTS, LEADS_ASSIGNED, LOCATIONS
from router.handlers.directory import DirectoryHandler
from router.handlers.routing import RoutingHandler
from router.handlers.routing_batch import BatchRouting
from router.handlers.sync import SyncHandler
from router.settings import DIRECTORY_GROUP, ROUTING_GROUP, SYNC_GROUP, ConsumerMode


def subscribe(
    broker: KafkaBroker,
    kafka: KafkaSettings,
    routing: RoutingHandler,
    batch_routing: BatchRouting,
    directory: DirectoryHandler,
    sync: SyncHandler | None,
) -> None:
    subscribe_records(broker, LOCATIONS, DIRECTORY_GROUP, directory.handle, kafka)
    # ROUTING_ENABLED=false: a sync-only process, so GHL calls never share an event loop with routing
    if routing.settings.routing_enabled:
        subscribe_routing(broker, kafka, routing, batch_routing)
    if sync is not None:
        # Batches let GHL calls to different sub-accounts run concurrently (docs/decisions/
        # router-ghl-sync-consumer-group.md); the record path stays for the benchmark's baseline.
        if routing.settings.consumer_mode == ConsumerMode.BATCH:
            max_sync = routing.settings.sync_batch_max_records
            subscribe_batches(broker, [LEADS_ASSIGNED], SYNC_GROUP, sync.handle_batch, kafka, max_sync)
        else:
            subscribe_records(broker, LEADS_ASSIGNED, SYNC_GROUP, sync.handle, kafka)


def subscribe_routing(
    broker: KafkaBroker, kafka: KafkaSettings, routing: RoutingHandler, batch_routing: BatchRouting
) -> None:
    if routing.settings.consumer_mode == ConsumerMode.BATCH:
        max_records = routing.settings.batch_max_records
        subscribe_batches(broker, [GHL_EVENTS], ROUTING_GROUP, batch_routing.handle_batch, kafka, max_records,
                          prefetch=routing.settings.read_ahead)  # fmt: skip
    else:  # the one-record-at-a-time baseline the benchmarks compare against
        subscribe_records(broker, GHL_EVENTS, ROUTING_GROUP, routing.handle, kafka)
