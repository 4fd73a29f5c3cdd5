"""EventSink on Kafka: onboarding.events.v1 (keyed by location) and the locations.v1 directory."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from leadflow_common.events.envelope import EventPayload
from leadflow_common.events.onboarding import (
    LocationActivated,
    OnboardingFailed,
    Quarantined,
    StepCompleted,
    StepFailed,
)
from leadflow_common.kafka.publisher import EventPublisher
from leadflow_common.topics import LOCATIONS, ONBOARDING_EVENTS
from onboarding.domain.location import Location, to_profile
from onboarding.domain.saga import Step

_NS = uuid.UUID("6f1d3c2a-0b7e-4f43-9a51-3b2d1c0e9f77")


def event_id(location_id: str, *parts: object) -> uuid.UUID:
    """Deterministic ids: an event re-published after a crash is recognised as the same event."""
    return uuid.uuid5(_NS, ":".join([location_id, *(str(p) for p in parts)]))


class KafkaEventSink:
    def __init__(self, publisher: EventPublisher, default_timezone: str) -> None:
        self._publisher = publisher
        self._default_timezone = default_timezone

    async def _emit(self, location_id: str, payload: EventPayload, eid: uuid.UUID | None) -> None:
        envelope = (
            self._publisher.envelope(payload, event_id=eid) if eid else self._publisher.envelope(payload)
        )
        await self._publisher.publish(ONBOARDING_EVENTS, location_id, envelope)

    async def step_completed(self, location: Location, step: Step) -> None:
        record = location.steps[step]
        payload = StepCompleted(
            location_id=location.location_id,
            step=step.value,
            ghl_ids=record.ghl_ids,
            completed_at=datetime.now(UTC),
        )
        await self._emit(
            location.location_id, payload, event_id(location.location_id, "done", step, record.attempts)
        )

    async def step_failed(
        self, location: Location, step: Step, error: str, attempt: int, will_retry: bool
    ) -> None:
        payload = StepFailed(
            location_id=location.location_id,
            step=step.value,
            error=error,
            attempt=attempt,
            will_retry=will_retry,
        )
        await self._emit(location.location_id, payload, None)

    async def activated(self, location: Location) -> None:
        payload = LocationActivated(
            location_id=location.location_id,
            ghl_location_id=location.ghl_location_id or "",
            name=location.draft.name,
            region=location.draft.region,
            state=location.draft.state,
            daily_capacity=location.draft.daily_capacity,
            adopted=location.adopted,
            activated_at=datetime.now(UTC),
        )
        eid = event_id(location.location_id, "activated", location.ghl_location_id)
        await self._emit(location.location_id, payload, eid)

    async def quarantined(self, location: Location, reasons: list[str]) -> None:
        payload = Quarantined(location_id=location.location_id, reasons=reasons)
        await self._emit(
            location.location_id, payload, event_id(location.location_id, "quarantined", *reasons)
        )

    async def failed(self, location: Location, step: Step, reason: str, compensated: list[str]) -> None:
        payload = OnboardingFailed(
            location_id=location.location_id, step=step.value, reason=reason, compensated=compensated
        )
        await self._emit(location.location_id, payload, None)

    async def profile(self, location: Location) -> None:
        payload = to_profile(location, datetime.now(UTC), self._default_timezone)
        await self._publisher.publish_payload(LOCATIONS, location.location_id, payload)

    async def tombstone(self, location_id: str) -> None:
        await self._publisher.publish_tombstone(LOCATIONS, location_id)
