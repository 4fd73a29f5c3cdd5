"""Which events travel on which topic, who produces and who consumes them, and with which headers.

The topic registry (``leadflow_common.topics``) knows names, keys and partitions; the payload
registry (``leadflow_common.events``) knows the models. This module adds what neither says: the
event types each topic carries and the services on either end. ``tests/unit/contracts`` checks it
against both registries and against the services' consumer-group settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, get_args

from pydantic import BaseModel, create_model

from leadflow_common.events import envelope as envelope_module
from leadflow_common.events.envelope import Envelope
from leadflow_common.events.ghl import (
    UNKNOWN_EVENT_TYPE,
    AppointmentEvent,
    ContactEvent,
    InstallEvent,
    LocationEvent,
    MessageEvent,
    OpportunityEvent,
    UnknownGhlEvent,
)
from leadflow_common.events.leads import LeadAssigned, LeadReassigned, LeadSynced, LeadUnassigned, LeadWorked
from leadflow_common.events.locations import LocationProfile
from leadflow_common.events.onboarding import (
    AdoptLocation,
    LocationActivated,
    OffboardLocation,
    OnboardingFailed,
    OnboardLocation,
    Quarantined,
    RetryOnboarding,
    StepCompleted,
    StepFailed,
    UpdateLocation,
)
from leadflow_common.topics import (
    GHL_EVENTS,
    LEADS_ASSIGNED,
    LOCATIONS,
    ONBOARDING_COMMANDS,
    ONBOARDING_EVENTS,
    TopicSpec,
)


@dataclass(frozen=True, slots=True)
class EventContract:
    """One message shape on a topic: the envelope whose ``payload`` is ``model``."""

    name: str
    model: type[BaseModel]
    event_types: tuple[str, ...]
    schema_version: int = 1

    def envelope_model(self) -> type[Envelope]:
        """``Envelope`` narrowed to this event: ``event_type`` one of its types, ``payload`` its model."""
        event_type: Any = Literal[self.event_types]
        model: type[Envelope] = create_model(
            f"{self.name}Envelope",
            __base__=Envelope,
            __doc__=f"{self.name} in the leadflow envelope. {(self.model.__doc__ or '').strip()}".strip(),
            event_type=(event_type, ...),
            payload=(self.model, ...),
        )
        return model


@dataclass(frozen=True, slots=True)
class TopicContract:
    topic: TopicSpec
    summary: str
    producers: tuple[str, ...]
    consumer_groups: tuple[str, ...]
    events: tuple[EventContract, ...]
    tombstones: bool = False


def payload_event(model: type[envelope_module.EventPayload]) -> EventContract:
    return EventContract(model.EVENT_TYPE, model, (model.EVENT_TYPE,), model.SCHEMA_VERSION)


def ghl_event(model: type[BaseModel]) -> EventContract:
    """GHL webhook bodies pass through untouched; the envelope's event_type is the GHL ``type``."""
    if model is UnknownGhlEvent:
        return EventContract(model.__name__, model, (UNKNOWN_EVENT_TYPE,))
    return EventContract(model.__name__, model, get_args(model.model_fields["type"].annotation))


TOPICS: tuple[TopicContract, ...] = (
    TopicContract(
        GHL_EVENTS,
        "GoHighLevel webhooks as received (verified, deduplicated); the payload is the webhook body. "
        "Types ingest does not know travel as event_type `Unknown`.",
        producers=("ingest",),
        consumer_groups=("router", "analytics"),
        events=tuple(
            ghl_event(m)
            for m in (
                ContactEvent,
                OpportunityEvent,
                AppointmentEvent,
                LocationEvent,
                InstallEvent,
                MessageEvent,
                UnknownGhlEvent,
            )
        ),
    ),
    TopicContract(
        LEADS_ASSIGNED,
        "Routing decisions, their application in GHL and the speed-to-lead timer.",
        producers=("router",),
        consumer_groups=("router-sync", "router-pool-tags", "analytics"),
        events=tuple(
            payload_event(m) for m in (LeadAssigned, LeadUnassigned, LeadSynced, LeadReassigned, LeadWorked)
        ),
    ),
    TopicContract(
        ONBOARDING_COMMANDS,
        "Commands to onboard, adopt, update, retry or offboard a franchise location.",
        producers=("onboarding-cli",),
        consumer_groups=("onboarding",),
        events=tuple(
            payload_event(m)
            for m in (OnboardLocation, AdoptLocation, UpdateLocation, RetryOnboarding, OffboardLocation)
        ),
    ),
    TopicContract(
        ONBOARDING_EVENTS,
        "Progress of each location's onboarding saga.",
        producers=("onboarding",),
        consumer_groups=("analytics",),
        events=tuple(
            payload_event(m)
            for m in (StepCompleted, StepFailed, LocationActivated, OnboardingFailed, Quarantined)
        ),
    ),
    TopicContract(
        LOCATIONS,
        "The location directory, compacted: the latest LocationProfile per location id; "
        "a record with a null value (tombstone) deletes the location.",
        producers=("onboarding",),
        consumer_groups=("router-directory", "analytics"),
        events=(payload_event(LocationProfile),),
        tombstones=True,
    ),
)

# Kafka record headers every produced event carries. The ce_* ones are the CloudEvents Kafka
# protocol binding (binary content mode), so generic tools can read type, id and source without
# decoding the value.
HEADERS: dict[str, dict[str, str]] = {
    "ce_specversion": {"description": "CloudEvents spec version, always `1.0`", "const": "1.0"},
    "ce_id": {
        "description": "CloudEvents id: the envelope's `event_id` (the idempotency key)",
        "format": "uuid",
    },
    "ce_type": {"description": "CloudEvents type: the envelope's `event_type`"},
    "ce_source": {"description": "CloudEvents source: `leadflow/<producing service>`"},
    "ce_time": {
        "description": "CloudEvents time: the envelope's `occurred_at`, ISO 8601",
        "format": "date-time",
    },
    "content-type": {"description": "CloudEvents datacontenttype of the value", "const": "application/json"},
    "traceparent": {"description": "W3C trace context of the producing span (absent when there is none)"},
    "tracestate": {"description": "W3C trace state, when the producing span has one"},
    "event_type": {"description": "the envelope's `event_type` (kept for existing consumers)"},
    "event_id": {"description": "the envelope's `event_id` (kept for existing consumers)", "format": "uuid"},
    "schema_version": {"description": "the envelope's `schema_version`"},
    "source": {"description": "the envelope's `source`: the producing service"},
}
REQUIRED_HEADERS = ("ce_specversion", "ce_id", "ce_type", "ce_source", "ce_time", "content-type")


def all_events() -> list[tuple[TopicContract, EventContract]]:
    return [(topic, event) for topic in TOPICS for event in topic.events]
