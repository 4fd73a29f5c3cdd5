"""From a verified body to the event ingest publishes: type, ids, key, freshness."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson

from ingest.domain.errors import MalformedWebhook, StaleTimestamp
from leadflow_common.events.ghl import GhlEvent, envelope_event_type, parse_ghl_event

# Fixed namespace: the same webhookId always yields the same event_id, in every replica and
# every release, so consumers deduplicate GHL's retries and our own re-publishes.
EVENT_ID_NAMESPACE = uuid.UUID("6f1c9a52-3b8e-5d47-9a0e-2c4b7d81e5f3")


@dataclass(frozen=True, slots=True)
class Webhook:
    """An accepted webhook, ready to publish."""

    event_id: uuid.UUID
    event_type: str
    key: str
    webhook_id: str | None
    occurred_at: datetime | None
    body: dict[str, Any]


def event_id_for(webhook_id: str | None, raw_body: bytes) -> uuid.UUID:
    """Deterministic: from ``webhookId``, else from the body's bytes."""
    if webhook_id:
        return uuid.uuid5(EVENT_ID_NAMESPACE, f"webhook:{webhook_id}")
    return uuid.uuid5(EVENT_ID_NAMESPACE, f"body:{hashlib.sha256(raw_body).hexdigest()}")


def parse_body(raw_body: bytes) -> tuple[dict[str, Any], GhlEvent]:
    try:
        body = orjson.loads(raw_body)
    except orjson.JSONDecodeError as exc:
        raise MalformedWebhook(f"body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise MalformedWebhook("body is not a JSON object")
    try:
        return body, parse_ghl_event(body)
    except ValueError as exc:
        raise MalformedWebhook(str(exc)) from None


def parse_timestamp(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise MalformedWebhook(f"timestamp is not ISO-8601: {value!r}") from None
    if parsed.tzinfo is None:
        raise MalformedWebhook(f"timestamp has no time zone: {value!r}")
    return parsed


def check_freshness(
    occurred_at: datetime | None, now: datetime, tolerance: timedelta, required: bool
) -> None:
    """Replay protection: a timestamp more than ``tolerance`` away from ``now`` is refused."""
    if occurred_at is None:
        if required:
            raise StaleTimestamp("body has no timestamp")
        return
    skew = now - occurred_at
    if skew > tolerance:
        raise StaleTimestamp(f"timestamp is {skew.total_seconds():.0f}s old")
    if -skew > tolerance:
        raise StaleTimestamp(f"timestamp is {-skew.total_seconds():.0f}s in the future")


def partition_key(event: GhlEvent, event_id: uuid.UUID) -> str:
    """Contact id keeps per-contact order (the models' entity_id prefers it); else the event id."""
    return event.entity_id or str(event_id)


def build_webhook(
    raw_body: bytes, now: datetime, tolerance: timedelta, require_timestamp: bool = False
) -> Webhook:
    """Parse, validate and check freshness. Raises MalformedWebhook or StaleTimestamp."""
    body, event = parse_body(raw_body)
    occurred_at = parse_timestamp(event.timestamp)
    check_freshness(occurred_at, now, tolerance, require_timestamp)
    event_id = event_id_for(event.webhook_id, raw_body)
    return Webhook(
        event_id=event_id,
        event_type=envelope_event_type(event),
        key=partition_key(event, event_id),
        webhook_id=event.webhook_id,
        occurred_at=occurred_at,
        body=body,
    )
