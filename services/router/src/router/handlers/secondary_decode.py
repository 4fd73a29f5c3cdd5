"""Decoding for a consumer group that reads a topic another group already owns.

Such a group acts on a few event types only, so records whose ``ce_type`` header names another
type are skipped undecoded. A record nobody can decode is skipped too, with a log line: the owning
group (routing for ``ghl.events``, sync for ``leads.assigned``) dead-letters it. Dead-lettering it
from the second group as well put every poison record in the DLT twice, and a replay then re-drove
it twice."""

from __future__ import annotations

from collections.abc import Callable, Collection

from leadflow_common.events.envelope import Envelope
from leadflow_common.kafka.dead_letter import ConsumedRecord
from leadflow_common.kafka.errors import PermanentError
from leadflow_common.logging import get_logger

log = get_logger(__name__)
Decoder = Callable[[ConsumedRecord], Envelope | None]


def secondary_decoder(decode: Decoder, wanted: Collection[str], group: str) -> Decoder:
    def decode_wanted(record: ConsumedRecord) -> Envelope | None:
        kind = record.headers.get("ce_type") or record.headers.get("event_type")
        if kind is not None and kind not in wanted:
            return None
        try:
            return decode(record)
        except PermanentError as exc:
            log.warning(
                "undecodable_skipped", group=group, topic=record.topic, partition=record.partition,
                offset=record.offset, error=str(exc)[:300],
            )  # fmt: skip
            return None

    return decode_wanted
