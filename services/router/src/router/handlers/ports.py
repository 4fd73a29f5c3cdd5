"""The ports the handlers depend on (implemented in adapters/, faked in unit tests)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from leadflow_common.events.envelope import Envelope, EventPayload, OutgoingEvent
from leadflow_common.topics import TopicSpec


class Publisher(Protocol):
    def envelope(self, payload: EventPayload, **kwargs: object) -> Envelope: ...

    async def publish(self, topic: TopicSpec, key: str, envelope: Envelope) -> None: ...

    async def publish_many(self, topic: TopicSpec, items: Iterable[tuple[str, Envelope]]) -> None: ...

    async def publish_events(self, topic: TopicSpec, events: Iterable[OutgoingEvent]) -> None: ...


@dataclass(frozen=True)
class ContactCopy:
    """One lead to put into its location's sub-account."""

    source_location_id: str  # the intake sub-account
    contact_id: str  # the lead: its contact id in the intake sub-account
    target_ghl_location_id: str
    contact: dict[str, Any] | None  # GHL-named fields from the event; None: read from the intake
    source_tags: tuple[str, ...]  # put on the source contact; empty: no call on the intake


class LeadSync(Protocol):
    async def copy_contact(
        self, source_location_id: str, contact_id: str, target_ghl_location_id: str, tags: list[str]
    ) -> str: ...

    async def apply(self, copy: ContactCopy) -> str: ...
