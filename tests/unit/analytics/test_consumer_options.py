"""Analytics is not on the lead path: its consumer fetches in bulk (decision 0017)."""

from __future__ import annotations

from typing import Any, cast

from faststream.kafka import KafkaBroker

from analytics.consumer import subscribe_projector
from analytics.handlers import BatchProjector
from analytics.settings import AnalyticsSettings
from leadflow_common.kafka.batch_consumer import BatchConsumer


class Host:
    """What a consumer attaches to (the broker's lifecycle); nothing is started here."""

    def __init__(self) -> None:
        self.consumers: list[BatchConsumer] = []

    def attach(self, consumer: BatchConsumer) -> None:
        self.consumers.append(consumer)


class Projector:
    async def apply_decoded(self, batch: list[Any]) -> None:
        raise AssertionError("not consumed in this test")

    def decode(self, record: Any) -> Any:
        raise AssertionError("not consumed in this test")


def test_the_projection_consumer_fetches_in_bulk_as_configured() -> None:
    host = Host()
    settings = AnalyticsSettings(fetch_min_bytes=123_456, fetch_max_wait_ms=321)
    subscribe_projector(cast(KafkaBroker, host), cast(BatchProjector, Projector()), settings)
    (consumer,) = host.consumers
    assert consumer.options["fetch_min_bytes"] == 123_456
    assert consumer.options["fetch_max_wait_ms"] == 321


def test_by_default_a_fetch_waits_for_256_kib_or_250_ms() -> None:
    defaults = AnalyticsSettings()
    assert (defaults.fetch_min_bytes, defaults.fetch_max_wait_ms) == (256 * 1024, 250)
