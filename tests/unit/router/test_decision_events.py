"""The hot path's JSON-ready decision events are the same documents the pydantic models produce."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import orjson

from leadflow_common.events.envelope import (
    Envelope,
    OutgoingEvent,
    decode_envelope,
    encode_envelope,
    encode_outgoing,
)
from leadflow_common.events.ghl import ContactEvent
from leadflow_common.events.leads import LeadAssigned, LeadContact, LeadUnassigned
from router.domain.rules import Candidate
from router.handlers.events import candidate_dicts, decision_event, decision_payload, route_candidates
from router.handlers.routing_batch import contact_snapshot

AT = datetime(2026, 12, 1, 10, 30, 15, 123456, tzinfo=UTC)
CANDIDATES = (
    Candidate("LOC-1", 3.25, 4, 10, "active", True, "radius_25"),
    Candidate("LOC-2", 7.5, 10, 10, "active", False, "radius_25"),
    Candidate("LOC-3", 9.0, 0, 10, "paused", False, "radius_25"),
)
CONTACT = ContactEvent.model_validate(
    {"type": "ContactCreate", "id": "c-1", "locationId": "intake", "firstName": "Ana", "email": "a@x.io",
     "postalCode": "73301", "tags": ["fb"], "phone": None}
)  # fmt: skip


def row(location_id: str | None) -> dict[str, object]:
    assigned = location_id is not None
    return {
        "lead_id": "c-1",
        "event_id": uuid.uuid4(),
        "source_location_id": "intake",
        "location_id": location_id,
        "ghl_location_id": "ghl-1" if assigned else None,
        "rule": "radius_25" if assigned else "unassigned",
        "reason": None if assigned else "no_location_in_range",
        "distance_miles": 3.25 if assigned else None,
        "capacity_date": date(2026, 12, 1) if assigned else None,
        "score": 42.5,
        "geocode_method": "postal_code",
        "state": "TX",
        "decided_at": AT,
        "hours_note": "open now" if assigned else None,
    }


def as_json(value: object) -> object:
    return orjson.loads(orjson.dumps(value, option=orjson.OPT_UTC_Z))


def test_assigned_payload_equals_the_model_dump() -> None:
    stored = row("LOC-1")
    event_type, payload = decision_event(stored, candidate_dicts(CANDIDATES), contact_snapshot(CONTACT))
    model = decision_payload(stored, route_candidates(CANDIDATES), LeadContact(**contact_snapshot(CONTACT)))
    assert event_type == LeadAssigned.EVENT_TYPE
    assert as_json(payload) == as_json(model.model_dump(mode="json"))
    assert LeadAssigned.model_validate(as_json(payload)).contact == LeadContact(
        firstName="Ana", email="a@x.io", postalCode="73301", tags=["fb"]
    )


def test_unassigned_payload_equals_the_model_dump() -> None:
    stored = row(None)
    event_type, payload = decision_event(stored, candidate_dicts(CANDIDATES))
    model = decision_payload(stored, route_candidates(CANDIDATES))
    assert event_type == LeadUnassigned.EVENT_TYPE
    assert as_json(payload) == as_json(model.model_dump(mode="json"))


def test_outgoing_encoding_decodes_like_the_envelope() -> None:
    stored = row("LOC-1")
    _, payload = decision_event(stored, candidate_dicts(CANDIDATES))
    event_id = uuid.uuid4()
    fast = decode_envelope(
        encode_outgoing(
            OutgoingEvent("c-1", "LeadAssigned", payload, event_id, trace="00-ab-cd-01"), "router", AT
        )
    )
    model = decision_payload(stored, route_candidates(CANDIDATES))
    slow = decode_envelope(
        encode_envelope(
            Envelope.wrap(model, source="router", event_id=event_id, occurred_at=AT, trace="00-ab-cd-01")
        )
    )
    assert fast.model_dump(exclude={"produced_at"}) == slow.model_dump(exclude={"produced_at"})
