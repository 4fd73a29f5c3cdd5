"""The ports the handlers depend on (implemented in adapters/, faked in unit tests)."""

from __future__ import annotations

from typing import Protocol

from leadflow_common.events.envelope import Envelope, EventPayload
from leadflow_common.topics import TopicSpec


class Publisher(Protocol):
    def envelope(self, payload: EventPayload, **kwargs: object) -> Envelope: ...

    async def publish(self, topic: TopicSpec, key: str, envelope: Envelope) -> None: ...


class LeadSync(Protocol):
    async def copy_contact(
        self, source_location_id: str, contact_id: str, target_ghl_location_id: str, tags: list[str]
    ) -> str: ...
