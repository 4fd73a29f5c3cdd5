"""Event contracts: the envelope every Kafka message carries and the versioned payload models."""

from leadflow_common.events.envelope import (
    Envelope,
    EventPayload,
    UnknownEventType,
    decode_envelope,
    encode_envelope,
    parse_payload,
    payload_class,
    register_payload,
)
from leadflow_common.events.ghl import GhlEvent, parse_ghl_event
from leadflow_common.events.leads import (
    LeadAssigned,
    LeadReassigned,
    LeadSynced,
    LeadUnassigned,
    LeadWorked,
    RouteCandidate,
)
from leadflow_common.events.locations import BusinessHours, LocationProfile, LocationStatus
from leadflow_common.events.onboarding import (
    AdoptLocation,
    LocationActivated,
    LocationDraft,
    OffboardLocation,
    OnboardingFailed,
    OnboardLocation,
    Quarantined,
    RetryOnboarding,
    StepCompleted,
    StepFailed,
    UpdateLocation,
)

__all__ = [
    "AdoptLocation",
    "BusinessHours",
    "Envelope",
    "EventPayload",
    "GhlEvent",
    "LeadAssigned",
    "LeadReassigned",
    "LeadSynced",
    "LeadUnassigned",
    "LeadWorked",
    "LocationActivated",
    "LocationDraft",
    "LocationProfile",
    "LocationStatus",
    "OffboardLocation",
    "OnboardLocation",
    "OnboardingFailed",
    "Quarantined",
    "RetryOnboarding",
    "RouteCandidate",
    "StepCompleted",
    "StepFailed",
    "UnknownEventType",
    "UpdateLocation",
    "decode_envelope",
    "encode_envelope",
    "parse_ghl_event",
    "parse_payload",
    "payload_class",
    "register_payload",
]
