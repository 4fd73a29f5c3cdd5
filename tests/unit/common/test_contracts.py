"""Event envelope, payload registry, GHL webhook parsing and topic registry."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import orjson
import pytest

from leadflow_common.events import (
    LeadAssigned,
    LocationProfile,
    LocationStatus,
    UnknownEventType,
    decode_envelope,
    encode_envelope,
    parse_payload,
)
from leadflow_common.events.envelope import Envelope
from leadflow_common.events.ghl import (
    ContactEvent,
    OpportunityEvent,
    UnknownGhlEvent,
    envelope_event_type,
    parse_ghl_event,
)
from leadflow_common.topics import ALL_TOPICS, LOCATIONS, all_topic_specs, namespaced


def test_envelope_round_trips_and_parses_its_payload() -> None:
    payload = LeadAssigned(
        lead_id="c1",
        location_id="FIT-0001",
        rule="nearest_within_25mi",
        score=72.5,
        geocode_method="postal_code",
        capacity_date=date(2026, 11, 24),
        decided_at=datetime(2026, 11, 24, 12, tzinfo=UTC),
    )
    envelope = Envelope.wrap(payload, source="router", event_id=uuid.UUID(int=7))
    decoded = decode_envelope(encode_envelope(envelope))
    assert decoded.event_id == uuid.UUID(int=7)
    assert decoded.event_type == "LeadAssigned"
    assert parse_payload(decoded) == payload


def test_consumers_ignore_unknown_fields_and_report_unknown_types() -> None:
    raw = orjson.dumps(
        {
            "event_id": str(uuid.uuid4()),
            "event_type": "SomethingNew",
            "source": "x",
            "payload": {},
            "extra": 1,
        }
    )
    envelope = decode_envelope(raw)
    with pytest.raises(UnknownEventType):
        parse_payload(envelope)


def test_location_profile_keeps_unknown_fields() -> None:
    profile = LocationProfile.model_validate(
        {
            "location_id": "FIT-1",
            "name": "Austin North",
            "franchise_code": "FIT-1",
            "status": "active",
            "daily_capacity": 40,
            "future_field": "kept",
        }
    )
    assert profile.status is LocationStatus.ACTIVE
    assert profile.model_dump()["future_field"] == "kept"


def test_ghl_contact_webhook_is_tolerant() -> None:
    event = parse_ghl_event({"type": "ContactCreate", "id": "c9", "postalCode": "78701", "brandNew": True})
    assert isinstance(event, ContactEvent)
    assert event.postal_code == "78701"
    assert event.entity_id == "c9"
    assert envelope_event_type(event) == "ContactCreate"


def test_ghl_opportunity_keyed_by_contact() -> None:
    event = parse_ghl_event(
        {"type": "OpportunityStatusUpdate", "id": "o1", "contactId": "c1", "status": "won"}
    )
    assert isinstance(event, OpportunityEvent)
    assert event.entity_id == "c1"


def test_unknown_ghl_type_is_accepted_as_unknown() -> None:
    event = parse_ghl_event({"type": "InvoicePaid", "id": "i1"})
    assert isinstance(event, UnknownGhlEvent)
    assert envelope_event_type(event) == "Unknown"


@pytest.mark.parametrize("body", [{}, {"type": ""}, {"type": 3}])
def test_webhook_without_type_is_rejected(body: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="type"):
        parse_ghl_event(body)


def test_known_type_with_odd_optional_fields_is_normalised_not_rejected() -> None:
    event = parse_ghl_event({"type": "ContactCreate", "tags": "a,b", "customFields": None})
    assert isinstance(event, ContactEvent)
    assert (event.tags, event.custom_fields) == (["a", "b"], [])


def test_topic_registry_declares_dlts_and_compaction(monkeypatch: pytest.MonkeyPatch) -> None:
    names = {t.name for t in all_topic_specs()}
    for topic in ALL_TOPICS:
        assert topic.dlt_name in names
    assert LOCATIONS.config()["cleanup.policy"] == "compact"
    monkeypatch.setenv("KAFKA_TOPIC_NAMESPACE", "ns1")
    assert LOCATIONS.name == "ns1.locations.v1"
    assert LOCATIONS.dlt_name == "ns1.locations.v1.DLT"
    assert namespaced("x") == "ns1.x"
