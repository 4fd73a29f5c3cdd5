"""The analytics batch subscriber on its four topics."""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from analytics.handlers import BatchProjector
from analytics.settings import AnalyticsSettings
from leadflow_common.kafka.consumer import subscribe_decoded_batches
from leadflow_common.topics import GHL_EVENTS, LEADS_ASSIGNED, LOCATIONS, ONBOARDING_EVENTS, TopicSpec

CONSUMED_TOPICS: tuple[TopicSpec, ...] = (LOCATIONS, ONBOARDING_EVENTS, LEADS_ASSIGNED, GHL_EVENTS)


def subscribe_projector(broker: KafkaBroker, projector: BatchProjector, settings: AnalyticsSettings) -> None:
    subscribe_decoded_batches(
        broker,
        CONSUMED_TOPICS,
        settings.consumer_group,
        projector.apply_decoded,
        projector.decode,
        settings.kafka,
        max_records=settings.batch_max_records,
        session_timeout_ms=settings.session_timeout_ms,
        prefetch=settings.prefetch,
        fetch_min_bytes=settings.fetch_min_bytes,
        fetch_max_wait_ms=settings.fetch_max_wait_ms,
    )
