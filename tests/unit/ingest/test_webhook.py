"""Pure webhook rules: ids, keys, event type, freshness, malformed bodies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest

from ingest.domain.errors import MalformedWebhook, StaleTimestamp
from ingest.domain.webhook import build_webhook, event_id_for

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TOL = timedelta(minutes=5)


def build(body: dict[str, object], now: datetime = NOW, required: bool = False):  # type: ignore[no-untyped-def]
    return build_webhook(orjson.dumps(body), now, TOL, required)


def test_event_id_is_derived_from_webhook_id() -> None:
    assert event_id_for("wh-1", b"a") == event_id_for("wh-1", b"b")
    assert event_id_for("wh-1", b"a") != event_id_for("wh-2", b"a")
    assert event_id_for(None, b"a") == event_id_for(None, b"a") != event_id_for(None, b"b")


def test_contact_event_is_keyed_by_contact_id() -> None:
    hook = build({"type": "ContactCreate", "id": "c1", "webhookId": "w", "timestamp": NOW.isoformat()})
    assert (hook.event_type, hook.key, hook.webhook_id) == ("ContactCreate", "c1", "w")
    assert hook.occurred_at == NOW
    assert hook.event_id == event_id_for("w", b"")


def test_opportunity_is_keyed_by_its_contact_then_its_id() -> None:
    assert build({"type": "OpportunityCreate", "id": "o1", "contactId": "c9"}).key == "c9"
    assert build({"type": "OpportunityCreate", "id": "o1"}).key == "o1"


def test_unknown_type_is_accepted_as_unknown_with_the_body_kept() -> None:
    body = {"type": "InvoicePaid", "amount": 3, "nested": {"x": [1]}}
    hook = build(body)
    assert hook.event_type == "Unknown"
    assert hook.body == body
    assert hook.key == str(hook.event_id)


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"[1,2]", b'"s"', b"{}", b'{"type": ""}', b'{"type":"ContactCreate","tags":"x"}'],
)
def test_malformed_bodies(raw: bytes) -> None:
    with pytest.raises(MalformedWebhook):
        build_webhook(raw, NOW, TOL)


def test_known_type_with_malformed_fields_names_the_reason() -> None:
    with pytest.raises(MalformedWebhook, match="malformed OpportunityCreate"):
        build({"type": "OpportunityCreate", "monetaryValue": "lots"})


@pytest.mark.parametrize("offset", [timedelta(minutes=-6), timedelta(minutes=6)])
def test_stale_or_future_timestamp_is_refused(offset: timedelta) -> None:
    with pytest.raises(StaleTimestamp):
        build({"type": "ContactCreate", "timestamp": (NOW + offset).isoformat()})


def test_timestamp_within_tolerance_and_missing_timestamp() -> None:
    build({"type": "ContactCreate", "timestamp": (NOW - timedelta(minutes=4)).isoformat()})
    build({"type": "ContactCreate"})
    with pytest.raises(StaleTimestamp):
        build({"type": "ContactCreate"}, required=True)


@pytest.mark.parametrize("value", ["yesterday", "2026-03-01T12:00:00"])
def test_unparseable_or_naive_timestamp_is_malformed(value: str) -> None:
    with pytest.raises(MalformedWebhook):
        build({"type": "ContactCreate", "timestamp": value})
