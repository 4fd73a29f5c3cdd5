"""A second group on a topic skips other event types and poison records (the owning group
dead-letters those) and decodes what it wants."""

from __future__ import annotations

import orjson

from leadflow_common.kafka.consumer import decode_record
from leadflow_common.kafka.dead_letter import ConsumedRecord
from router.handlers.secondary_decode import secondary_decoder


def record(value: bytes, ce_type: str | None = None) -> ConsumedRecord:
    headers = {"ce_type": ce_type} if ce_type else {}
    return ConsumedRecord("ghl.events.v1", 0, 7, b"k", value, headers)


def test_poison_and_other_types_are_skipped_wanted_ones_decoded() -> None:
    decode = secondary_decoder(decode_record, {"ContactUpdate"}, "router-pool")
    assert decode(record(b"{not json")) is None
    assert decode(record(b"{not json", "ContactCreate")) is None
    assert decode(record(b"{not json", "ContactUpdate")) is None
    body = {"event_type": "ContactUpdate", "source": "ingest", "payload": {"id": "c1"}}
    decoded = decode(record(orjson.dumps(body), "ContactUpdate"))
    assert decoded is not None and decoded.event_type == "ContactUpdate"
    assert decoded.payload == {"id": "c1"}
