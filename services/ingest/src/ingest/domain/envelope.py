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
        }
    )


def envelope_headers(webhook: Webhook, trace: str | None) -> list[tuple[str, bytes]]:
    """The headers every envelope carries (see leadflow_common.kafka.publisher.envelope_headers)."""
    headers = [
        ("event_type", webhook.event_type.encode()),
        ("event_id", str(webhook.event_id).encode()),
        ("schema_version", b"1"),
        ("source", SOURCE.encode()),
    ]
    if trace:
        headers.append(("traceparent", trace.encode()))
    return headers
