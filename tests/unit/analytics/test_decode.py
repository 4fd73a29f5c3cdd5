"""The lean envelope decode reads what the pydantic model reads, and leaves every other shape to it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics.decode import decode_event, from_model
from leadflow_common.events import Envelope, LeadSynced
from leadflow_common.events.envelope import OutgoingEvent, encode_envelope, encode_outgoing
from leadflow_common.kafka.dead_letter import ConsumedRecord
from leadflow_common.kafka.errors import PermanentError

SYNCED = LeadSynced(
    lead_id="l1", location_id="FIT-1", ghl_location_id="g1", location_contact_id="c1",
    synced_at=datetime(2026, 3, 1, 12, tzinfo=UTC),
)  # fmt: skip


def record(value: bytes | None) -> ConsumedRecord:
    return ConsumedRecord("leads.assigned.v1", 0, 0, b"l1", value, {})


def model(value: bytes) -> Envelope:
    return Envelope.model_validate(orjson.loads(value))


@given(st.datetimes(timezones=st.just(UTC)), st.uuids())
def test_canonical_envelopes_decode_as_the_model_does(at: datetime, event_id: uuid.UUID) -> None:
    envelope = Envelope.wrap(SYNCED, source="router", event_id=event_id, occurred_at=at)
    outgoing = OutgoingEvent("l1", "LeadSynced", envelope.payload, event_id, occurred_at=at)
    for value in (encode_envelope(envelope), encode_outgoing(outgoing, "router")):
        lean = decode_event(record(value))
        assert lean == from_model(model(value))
        assert lean is not None and lean.event_key == str(event_id)


@pytest.mark.parametrize(
    "change",
    [
        {"event_id": "6F1C2D3E-0000-4000-8000-000000000001"},  # upper case: the model's str() differs
        {"occurred_at": 1772366400},  # a number: the model reads epoch seconds
        {"occurred_at": "2026-03-01T12:00:00"},  # no offset: the model keeps it naive
        {"schema_version": "1"},  # a string: the model coerces it
        {"produced_at": None},  # missing values the model defaults or refuses
        {"trace": 5},  # not a string
    ],
)
def test_other_shapes_are_left_to_the_model(change: dict[str, object]) -> None:
    data = orjson.loads(encode_envelope(Envelope.wrap(SYNCED, source="router"))) | change
    value = orjson.dumps({k: v for k, v in data.items() if v is not None})
    try:
        expected = from_model(model(value))
    except Exception as exc:
        with pytest.raises(PermanentError):
            decode_event(record(value))
        assert exc is not None
    else:
        assert decode_event(record(value)) == expected


def test_tombstones_and_garbage() -> None:
    assert decode_event(record(None)) is None
    with pytest.raises(PermanentError):
        decode_event(record(b"{not json"))
    with pytest.raises(PermanentError):
        decode_event(record(b'{"event_type": "LeadSynced"}'))  # no source, no payload
