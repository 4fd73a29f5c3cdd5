"""From a verified body to the event ingest publishes: type, ids, key, freshness."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

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
    raw_body: bytes  # as signed: published as the payload without re-serialising


def event_id_for(webhook_id: str | None, raw_body: bytes) -> uuid.UUID:
    """Deterministic: from ``webhookId``, else from the body's bytes."""
    if webhook_id:
        return uuid.uuid5(EVENT_ID_NAMESPACE, f"webhook:{webhook_id}")
    return uuid.uuid5(EVENT_ID_NAMESPACE, f"body:{hashlib.sha256(raw_body).hexdigest()}")


def parse_body(raw_body: bytes) -> GhlEvent:
    try:
        body = orjson.loads(raw_body)
    except orjson.JSONDecodeError as exc:
        raise MalformedWebhook(f"body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise MalformedWebhook("body is not a JSON object")
    try:
        return parse_ghl_event(body)
    except ValueError as exc:
        raise MalformedWebhook(str(exc)) from None


@dataclass(frozen=True, slots=True)
class FreshnessWindow:
    """Which ``timestamp`` values are accepted, relative to now.

    ``max_age`` is GHL's retry horizon (a 429'd delivery comes back with the same body up to
    6 times about 10 minutes apart), so a late retry is taken; ``webhookId`` dedup, whose TTL
    outlives the window, stops replays inside it. ``future_skew`` allows for clock drift only.
    """

    max_age: timedelta = timedelta(minutes=75)
    future_skew: timedelta = timedelta(minutes=5)
    required: bool = False


def parse_timestamp(value: str | None) -> datetime | None:
    """ISO-8601 (``Z`` or an offset; no zone read as UTC) or epoch seconds/milliseconds; else None.

    An unreadable timestamp is treated as absent rather than refused: the body is signed, a 4xx
    is final for GHL, and the webhookId still stops replays.
    """
    if value is None:
        return None
    text = value.strip()
    try:
        if text.replace(".", "", 1).isdigit():
            seconds = float(text)
            return datetime.fromtimestamp(seconds / 1000 if seconds > 1e11 else seconds, UTC)
        parsed = datetime.fromisoformat(text)
    except (OverflowError, OSError, ValueError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def check_freshness(occurred_at: datetime | None, now: datetime, window: FreshnessWindow) -> None:
    """Replay protection by the clock: older than the retry horizon, or too far ahead, is refused."""
    if occurred_at is None:
        if window.required:
            raise StaleTimestamp("body has no readable timestamp")
        return
    age = now - occurred_at
    if age > window.max_age:
        raise StaleTimestamp(f"timestamp is {age.total_seconds():.0f}s old")
    if -age > window.future_skew:
        raise StaleTimestamp(f"timestamp is {-age.total_seconds():.0f}s in the future")


def partition_key(event: GhlEvent, event_id: uuid.UUID) -> str:
    """Contact id keeps per-contact order (the models' entity_id prefers it); else the event id."""
    return event.entity_id or str(event_id)


def build_webhook(raw_body: bytes, now: datetime, window: FreshnessWindow) -> Webhook:
    """Parse, validate and check freshness. Raises MalformedWebhook or StaleTimestamp."""
    event = parse_body(raw_body)
    occurred_at = parse_timestamp(event.timestamp)
    check_freshness(occurred_at, now, window)
    event_id = event_id_for(event.webhook_id, raw_body)
    return Webhook(
        event_id=event_id,
        event_type=envelope_event_type(event),
        key=partition_key(event, event_id),
        webhook_id=event.webhook_id,
        occurred_at=occurred_at,
        raw_body=raw_body,
    )
