"""The envelope built around the verified bytes decodes like any other and keeps them verbatim."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson

from ingest.domain.envelope import encode_webhook_envelope, envelope_headers
from ingest.domain.webhook import FreshnessWindow, build_webhook
from leadflow_common.events.envelope import decode_envelope
from leadflow_common.events.ghl import ContactEvent
from leadflow_common.kafka.publisher import envelope_headers as common_envelope_headers

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TRACE = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"
RAW = (
    b'{"type": "ContactCreate", "id": "c1", "webhookId": "w1", "timestamp": "2026-03-01T11:59:00Z",'
    b' "tags": "vip, web", "customFields": {"f1": 1}, "phone": 5551234, "note": "caf\\u00e9 \xe2\x98\x95"}'
)


def test_decodes_with_the_common_decoder_and_carries_the_body_as_sent() -> None:
    hook = build_webhook(RAW, NOW, FreshnessWindow())
    value = encode_webhook_envelope(hook, NOW, TRACE)
    envelope = decode_envelope(value)
    assert envelope.event_id == hook.event_id
    assert (envelope.event_type, envelope.source, envelope.schema_version) == ("ContactCreate", "ingest", 1)
    assert envelope.occurred_at == NOW - timedelta(minutes=1)
    assert envelope.produced_at == NOW
    assert envelope.trace == TRACE
    assert envelope.payload == orjson.loads(RAW)
    assert RAW in value  # spliced, not re-serialised: spacing and escapes as signed
    contact = ContactEvent.model_validate(envelope.payload)  # what the router does with it
    assert (contact.tags, contact.phone, contact.custom_fields[0].id) == (["vip", "web"], "5551234", "f1")


def test_without_timestamp_occurred_at_is_the_produce_time_and_trace_may_be_absent() -> None:
    hook = build_webhook(b'{"type":"X"}', NOW, FreshnessWindow())
    envelope = decode_envelope(encode_webhook_envelope(hook, NOW, None))
    assert envelope.occurred_at == NOW
    assert envelope.trace is None
    assert envelope.event_type == "Unknown"


def test_headers_are_the_ones_every_other_envelope_carries() -> None:
    """Same names and values as the shared publisher writes (CloudEvents binding included)."""
    hook = build_webhook(RAW, NOW, FreshnessWindow())
    envelope = decode_envelope(encode_webhook_envelope(hook, NOW, TRACE))
    ours = {name: value.decode() for name, value in envelope_headers(hook, NOW, TRACE)}
    assert ours == common_envelope_headers(envelope)
    assert (ours["ce_id"], ours["ce_source"], ours["traceparent"]) == (
        str(hook.event_id),
        "leadflow/ingest",
        TRACE,
    )


def test_without_trace_no_traceparent_and_ce_time_is_the_produce_time() -> None:
    hook = build_webhook(b'{"type":"X"}', NOW, FreshnessWindow())
    headers = dict(envelope_headers(hook, NOW, None))
    assert "traceparent" not in headers
    assert headers["ce_time"] == NOW.isoformat().encode()
