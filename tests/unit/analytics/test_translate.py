"""Translation of envelopes from the four topics into facts (pure, no I/O)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from analytics.domain.facts import UNASSIGNED
from analytics.translate import translate
from leadflow_common.events import (
    Envelope,
    LeadAssigned,
    LeadSynced,
    LeadUnassigned,
    LocationProfile,
    StepFailed,
)
from leadflow_common.topics import GHL_EVENTS, LEADS_ASSIGNED, LOCATIONS, ONBOARDING_EVENTS

T = datetime(2026, 3, 1, 12, tzinfo=UTC)


def wrap(payload: object) -> Envelope:
    return Envelope.wrap(payload, source="tests", occurred_at=T)  # type: ignore[arg-type]


def ghl(body: dict[str, object]) -> Envelope:
    return Envelope(event_type=str(body["type"]), source="ingest", occurred_at=T, payload=body)


def test_lead_assigned_counts_a_lead_and_its_score_and_routes_it() -> None:
    payload = LeadAssigned(
        lead_id="c1",
        location_id="FIT-1",
        rule="nearest",
        score=42,
        geocode_method="zip",
        capacity_date=date(2026, 3, 1),
        decided_at=T,
    )
    facts = translate(LEADS_ASSIGNED.name, "c1", wrap(payload))
    assert facts.activities[0].deltas == {"leads": 1.0, "score_sum": 42}
    assert facts.activities[0].location_id == "FIT-1"
    assert facts.leads[0].location_id == "FIT-1" and facts.leads[0].at == T


def test_unassigned_and_synced() -> None:
    un = LeadUnassigned(lead_id="c2", reason="none", score=1, geocode_method="zip", decided_at=T)
    facts = translate(LEADS_ASSIGNED.name, "c2", wrap(un))
    assert facts.activities[0].location_id == UNASSIGNED and facts.activities[0].deltas == {"unassigned": 1.0}
    synced = LeadSynced(
        lead_id="c1", location_id="FIT-1", ghl_location_id="g1", location_contact_id="lc", synced_at=T
    )
    facts = translate(LEADS_ASSIGNED.name, "c1", wrap(synced))
    assert facts.leads[0].location_contact_id == "lc" and facts.leads[0].at is None


def test_opportunity_outcomes_and_appointments_from_ghl() -> None:
    won = translate(
        GHL_EVENTS.name,
        "c",
        ghl({"type": "OpportunityStatusUpdate", "locationId": "g", "contactId": "c", "status": "won"}),
    )
    assert won.activities[0].deltas == {"won": 1.0} and won.activities[0].ghl_location_id == "g"
    open_ = translate(GHL_EVENTS.name, "c", ghl({"type": "OpportunityStatusUpdate", "status": "open"}))
    assert not open_.activities and not open_.skipped
    apt = translate(
        GHL_EVENTS.name,
        "c",
        ghl({"type": "AppointmentCreate", "locationId": "g", "appointment": {"contactId": "c"}}),
    )
    assert apt.activities[0].contact_id == "c" and apt.activities[0].deltas == {"appointments": 1.0}


def test_unknown_types_are_skipped_and_malformed_ones_raise() -> None:
    assert translate(GHL_EVENTS.name, "x", ghl({"type": "NoteCreate"})).skipped == 1
    unknown = Envelope(event_type="LeadTeleported", source="t", payload={})
    assert translate(LEADS_ASSIGNED.name, "x", unknown).skipped == 1
    with pytest.raises(ValidationError):
        translate(
            LEADS_ASSIGNED.name,
            "x",
            Envelope(event_type="LeadAssigned", source="t", payload={"lead_id": "x"}),
        )
    # a GHL field of an unexpected shape is read as absent, never refused (GHL's 4xx is final)
    odd = {"type": "OpportunityStatusUpdate", "monetaryValue": "lots", "status": "won", "locationId": "g"}
    assert translate(GHL_EVENTS.name, "x", ghl(odd)).activities[0].deltas == {"won": 1.0}


def test_locations_profiles_tombstones_and_onboarding_failures() -> None:
    profile = LocationProfile(
        location_id="FIT-1",
        name="One",
        franchise_code="FIT-1",
        status="active",
        timezone="America/Chicago",
        daily_capacity=12,
        ghl_location_id="g1",
        updated_at=T,
    )
    facts = translate(LOCATIONS.name, "FIT-1", wrap(profile))
    assert facts.locations[0].timezone == "America/Chicago" and facts.locations[0].daily_capacity == 12
    assert translate(LOCATIONS.name, "FIT-1", None).offboarded == ["FIT-1"]
    failed = StepFailed(location_id="FIT-1", step="snapshot", error="boom", attempt=1, will_retry=True)
    facts = translate(ONBOARDING_EVENTS.name, "FIT-1", wrap(failed))
    assert facts.onboarding[0].state == "retrying" and facts.activities[0].deltas == {"sync_failures": 1.0}
