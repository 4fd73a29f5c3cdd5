"""Edge translation: envelopes from the four topics → domain facts (pydantic stays out of domain/).

Unknown event types are counted as skipped (a no-op); a malformed payload of a known type raises
a validation error, which the batch consumer turns into a dead letter for that record only."""

from __future__ import annotations

import uuid
from datetime import datetime

from analytics.decode import EventEnvelope
from analytics.domain.facts import (
    UNASSIGNED,
    Activity,
    Facts,
    LeadRoute,
    LocationInfo,
    OnboardingState,
    lead_count,
)
from analytics.domain.speed import reassignment_deltas, touch_deltas
from leadflow_common.events import (
    Envelope,
    LeadAssigned,
    LeadReassigned,
    LeadSynced,
    LeadUnassigned,
    LeadWorked,
    LocationActivated,
    LocationProfile,
    OnboardingFailed,
    Quarantined,
    StepCompleted,
    StepFailed,
    UnknownEventType,
    payload_class,
)
from leadflow_common.events.ghl import (
    AppointmentEvent,
    OpportunityEvent,
    UnknownGhlEvent,
    parse_ghl_event,
)
from leadflow_common.topics import GHL_EVENTS, LOCATIONS

OPPORTUNITY_OUTCOMES = {"won": "won", "lost": "lost"}
# The consumer's lean envelope (analytics/decode.py) or the pydantic model (rebuild, tests).
AnyEnvelope = EventEnvelope | Envelope


def event_key(envelope: AnyEnvelope) -> str:
    return envelope.event_key if isinstance(envelope, EventEnvelope) else str(envelope.event_id)


def translate(topic: str, key: str | None, envelope: AnyEnvelope | None) -> Facts:
    facts = Facts()
    if envelope is None:
        if topic.endswith(LOCATIONS.base_name) and key:
            facts.offboarded.append(key)
        return facts
    if topic.endswith(GHL_EVENTS.base_name):  # base name: the namespace prefix is read from env per call
        _ghl(envelope, facts)
        return facts
    try:
        # = parse_payload, which takes the pydantic envelope only
        payload = payload_class(envelope.event_type).model_validate(envelope.payload)
    except UnknownEventType:
        facts.skipped += 1
        return facts
    event_id = event_key(envelope)
    match payload:
        case LocationProfile():
            facts.locations.append(_location(payload, envelope.occurred_at))
        case LeadAssigned():
            facts.leads.append(
                LeadRoute(payload.lead_id, payload.decided_at, payload.location_id, payload.score)
            )
            at, location = payload.decided_at, payload.location_id
            facts.activities.append(_lead_counted(event_id, payload.lead_id, at, location, payload.score))
        case LeadUnassigned():
            facts.leads.append(LeadRoute(payload.lead_id, payload.decided_at, UNASSIGNED, payload.score))
            facts.activities.append(
                _lead_counted(event_id, payload.lead_id, payload.decided_at, UNASSIGNED, payload.score)
            )
        case LeadSynced():
            facts.leads.append(
                LeadRoute(payload.lead_id, None, payload.location_id, None, payload.location_contact_id)
            )
            facts.activities.append(
                Activity(event_id, payload.synced_at, {"synced": 1.0}, payload.location_id)
            )
        case LeadReassigned():
            _reassigned(payload, envelope, facts)
        case LeadWorked():
            seconds = (payload.worked_at - payload.assigned_at).total_seconds()
            deltas = touch_deltas(seconds, payload.within_sla)
            facts.activities.append(Activity(event_id, payload.worked_at, deltas, payload.location_id))
        case StepCompleted():
            facts.onboarding.append(OnboardingState(payload.location_id, "onboarding", payload.completed_at))
        case StepFailed():
            at = envelope.occurred_at
            state = "retrying" if payload.will_retry else "failing"
            facts.onboarding.append(OnboardingState(payload.location_id, state, at))
            facts.activities.append(Activity(event_id, at, {"sync_failures": 1.0}, payload.location_id))
        case LocationActivated():
            facts.onboarding.append(OnboardingState(payload.location_id, "active", payload.activated_at))
        case OnboardingFailed():
            facts.onboarding.append(OnboardingState(payload.location_id, "failed", envelope.occurred_at))
        case Quarantined():
            facts.onboarding.append(OnboardingState(payload.location_id, "quarantined", envelope.occurred_at))
        case _:
            facts.skipped += 1
    return facts


def _reassigned(payload: LeadReassigned, envelope: AnyEnvelope, facts: Facts) -> None:
    """SLA counters at the location the lead left, and the move of its count to the new one."""
    target = payload.to_location_id or UNASSIGNED
    facts.leads.append(LeadRoute(payload.lead_id, payload.decided_at, target, payload.score))
    deltas = reassignment_deltas(payload.reason, payload.to_location_id is not None)
    event_id = event_key(envelope)
    # a lead moved out of the unassigned pool names no location it left (router: from_location_id '')
    left = payload.from_location_id or UNASSIGNED
    facts.activities.append(Activity(event_id, payload.decided_at, deltas, left))
    if payload.to_location_id is None or payload.score is not None:
        # without a score the LeadAssigned that follows moves the count; the count has its own id
        # because a parked activity is keyed by it
        count_id = str(uuid.uuid5(envelope.event_id, "count"))
        facts.activities.append(
            _lead_counted(count_id, payload.lead_id, payload.decided_at, target, payload.score)
        )


def _lead_counted(
    event_id: str, lead_id: str, at: datetime, location_id: str, score: float | None
) -> Activity:
    """A decision's count of the lead, kept only if it is the lead's newest (domain/moves.py)."""
    return Activity(event_id, at, lead_count(location_id, score), location_id, counts_lead=lead_id)


def _location(profile: LocationProfile, occurred_at: datetime) -> LocationInfo:
    return LocationInfo(
        location_id=profile.location_id,
        name=profile.name,
        timezone=profile.timezone,
        daily_capacity=profile.daily_capacity,
        status=str(profile.status),
        at=profile.updated_at or occurred_at,
        ghl_location_id=profile.ghl_location_id,
        region=profile.region,
        state=profile.state,
    )


def _ghl(envelope: AnyEnvelope, facts: Facts) -> None:
    event = parse_ghl_event(envelope.payload)
    event_id = event_key(envelope)
    at = envelope.occurred_at
    if isinstance(event, UnknownGhlEvent):
        facts.skipped += 1
    elif isinstance(event, OpportunityEvent) and event.type == "OpportunityStatusUpdate":
        outcome = OPPORTUNITY_OUTCOMES.get((event.status or "").lower())
        if outcome:
            facts.activities.append(
                Activity(event_id, at, {outcome: 1.0}, None, event.location_id, event.contact_id)
            )
    elif isinstance(event, AppointmentEvent) and event.type == "AppointmentCreate":
        contact = event.appointment.contact_id
        facts.activities.append(
            Activity(event_id, at, {"appointments": 1.0}, None, event.location_id, contact)
        )
