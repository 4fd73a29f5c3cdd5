"""Dead-letter publishing: original bytes and headers, plus what went wrong and where it came from."""

from __future__ import annotations

from dataclasses import dataclass

from faststream.kafka import KafkaBroker

from leadflow_common.metrics import DEAD_LETTERED
from leadflow_common.topics import dlt_name

MAX_ERROR_MESSAGE = 2000


@dataclass(frozen=True, slots=True)
class ConsumedRecord:
    """One record as read from Kafka, before decoding."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: dict[str, str]

    @property
    def key_str(self) -> str | None:
        return self.key.decode("utf-8", "replace") if self.key is not None else None


def dead_letter_headers(record: ConsumedRecord, error: BaseException) -> dict[str, str]:
    headers = {
        **record.headers,
        "error.class": f"{type(error).__module__}.{type(error).__qualname__}",
        "error.message": str(error)[:MAX_ERROR_MESSAGE],
        "original.topic": record.topic,
        "original.partition": str(record.partition),
        "original.offset": str(record.offset),
    }
    # FastStream's tracing middleware writes the dead-letter publish's own traceparent over the
    # record's: kept here so that `dlt replay` re-publishes the original one.
    if "traceparent" in record.headers:
        headers["original.traceparent"] = record.headers["traceparent"]
    return headers


async def publish_dead_letter(broker: KafkaBroker, record: ConsumedRecord, error: BaseException) -> None:
    """Raises if the DLT write is not acknowledged: the caller must then not commit the offset."""
    await broker.publish(
        record.value if record.value is not None else b"",
        topic=dlt_name(record.topic),
        key=record.key,
        headers=dead_letter_headers(record, error),
    )
    DEAD_LETTERED.labels(record.topic, type(error).__name__).inc()
