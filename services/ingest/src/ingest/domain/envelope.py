"""The ghl.events.v1 envelope of an accepted webhook, built around the body's verified bytes.

The payload is spliced in as received (``orjson.Fragment``): no parse-and-dump of the body per
request, and the topic carries exactly the bytes GHL signed. Consumers read it with
``leadflow_common.events.envelope.decode_envelope`` like any other envelope.
"""

from __future__ import annotations

from datetime import datetime

import orjson

from ingest.domain.webhook import Webhook

SOURCE = "ingest"
SCHEMA_VERSION = 1


CLOUDEVENTS_SPEC_VERSION = "1.0"


def encode_webhook_envelope(webhook: Webhook, produced_at: datetime, trace: str | None) -> bytes:
    return orjson.dumps(
        {
            "event_id": str(webhook.event_id),
            "event_type": webhook.event_type,
            "schema_version": SCHEMA_VERSION,
            "occurred_at": webhook.occurred_at or produced_at,
            "produced_at": produced_at,
            "source": SOURCE,
            "trace": trace,
            # parse_body proved it is one JSON object; a Fragment is copied verbatim.
            "payload": orjson.Fragment(webhook.raw_body),
        },
        option=orjson.OPT_UTC_Z,  # as pydantic writes the other envelopes
    )


def envelope_headers(webhook: Webhook, produced_at: datetime, trace: str | None) -> list[tuple[str, bytes]]:
    """The headers every envelope carries, CloudEvents Kafka binding included: the same as
    ``leadflow_common.kafka.publisher.envelope_headers`` writes for this envelope (unit test)."""
    event_id = str(webhook.event_id).encode()
    event_type = webhook.event_type.encode()
    headers = [
        ("event_type", event_type),
        ("event_id", event_id),
        ("schema_version", str(SCHEMA_VERSION).encode()),
        ("source", SOURCE.encode()),
        ("ce_specversion", CLOUDEVENTS_SPEC_VERSION.encode()),
        ("ce_id", event_id),
        ("ce_type", event_type),
        ("ce_source", f"leadflow/{SOURCE}".encode()),
        ("ce_time", (webhook.occurred_at or produced_at).isoformat().encode()),
        ("content-type", b"application/json"),
    ]
    if trace:
        headers.append(("traceparent", trace.encode()))
    return headers
