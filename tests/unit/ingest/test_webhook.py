"""Pure webhook rules: ids, keys, event type, freshness window, malformed bodies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest

from ingest.domain.errors import MalformedWebhook, StaleTimestamp
from ingest.domain.webhook import FreshnessWindow, build_webhook, event_id_for, parse_timestamp

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
WINDOW = FreshnessWindow(max_age=timedelta(minutes=75), future_skew=timedelta(minutes=5))


def build(body: dict[str, object], window: FreshnessWindow = WINDOW):  # type: ignore[no-untyped-def]
    return build_webhook(orjson.dumps(body), NOW, window)


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


def test_unknown_type_is_accepted_as_unknown_with_the_raw_body_kept() -> None:
    raw = b'{"type": "InvoicePaid", "amount": 3, "nested": {"x": [1]}}'
    hook = build_webhook(raw, NOW, WINDOW)
    assert hook.event_type == "Unknown"
    assert hook.raw_body == raw
    assert hook.key == str(hook.event_id)


@pytest.mark.parametrize("raw", [b"{not json", b"[1,2]", b'"s"', b"{}", b'{"type": ""}', b'{"type": null}'])
def test_bodies_without_an_object_or_a_type_are_malformed(raw: bytes) -> None:
    with pytest.raises(MalformedWebhook):
        build_webhook(raw, NOW, WINDOW)


@pytest.mark.parametrize(
    "fields",
    [
        {"tags": "vip, web"},
        {"tags": None, "customFields": None, "email": None},
        {"customFields": {"f1": "x"}},
        {"postalCode": 10001, "phone": 5551234, "id": 42},
        {"firstName": {"nested": "object"}},
        {"webhookId": 12345},
    ],
)
def test_signed_contact_with_odd_optional_fields_is_accepted(fields: dict[str, object]) -> None:
    hook = build({"type": "ContactCreate", "id": "c1", **fields})
    assert hook.event_type == "ContactCreate"


def test_odd_shapes_of_other_types_are_accepted_too() -> None:
    assert build({"type": "OpportunityCreate", "monetaryValue": "lots", "contactId": "c9"}).key == "c9"
    assert (
        build({"type": "AppointmentCreate", "appointment": None, "id": "x"}).event_type == "AppointmentCreate"
    )
    assert build({"type": "AppointmentCreate", "appointment": {"contactId": 7, "startTime": []}}).key == "7"


@pytest.mark.parametrize("age", [timedelta(minutes=4), timedelta(minutes=30), timedelta(minutes=74)])
def test_late_retries_within_the_horizon_are_accepted(age: timedelta) -> None:
    assert build({"type": "ContactCreate", "timestamp": (NOW - age).isoformat()}).occurred_at == NOW - age


@pytest.mark.parametrize("offset", [timedelta(minutes=-76), timedelta(minutes=6)])
def test_past_the_horizon_or_too_far_ahead_is_refused(offset: timedelta) -> None:
    with pytest.raises(StaleTimestamp):
        build({"type": "ContactCreate", "timestamp": (NOW + offset).isoformat()})


def test_window_is_configurable() -> None:
    strict = FreshnessWindow(max_age=timedelta(minutes=5), future_skew=timedelta(0))
    with pytest.raises(StaleTimestamp):
        build({"type": "ContactCreate", "timestamp": (NOW - timedelta(minutes=6)).isoformat()}, strict)
    with pytest.raises(StaleTimestamp):
        build({"type": "ContactCreate", "timestamp": (NOW + timedelta(seconds=1)).isoformat()}, strict)


def test_missing_timestamp_is_accepted_unless_required() -> None:
    build({"type": "ContactCreate"})
    build({"type": "ContactCreate", "timestamp": None})
    with pytest.raises(StaleTimestamp):
        build({"type": "ContactCreate"}, FreshnessWindow(required=True))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-01T12:00:00Z", NOW),
        ("2026-03-01T13:00:00+01:00", NOW),
        ("2026-03-01T12:00:00", NOW),  # no zone: UTC
        (str(int(NOW.timestamp())), NOW),  # epoch seconds
        (str(int(NOW.timestamp() * 1000)), NOW),  # epoch milliseconds
        ("yesterday", None),  # unreadable: treated as absent, never a final 4xx
        (None, None),
    ],
)
def test_timestamp_forms(value: str | None, expected: datetime | None) -> None:
    assert parse_timestamp(value) == expected


def test_numeric_epoch_timestamp_in_the_body_is_checked_against_the_window() -> None:
    old = int((NOW - timedelta(hours=2)).timestamp() * 1000)
    with pytest.raises(StaleTimestamp):
        build({"type": "ContactCreate", "timestamp": old})
    assert build({"type": "ContactCreate", "timestamp": int(NOW.timestamp())}).occurred_at == NOW
