"""The envelope around every event on every topic, and the registry of payload types.

Wire format: UTF-8 JSON (orjson) of ``Envelope``. ``event_id`` is the idempotency key.
Consumers ignore unknown fields; an unknown ``event_type`` is reported as
``UnknownEventType`` so the caller can skip it as a no-op instead of crashing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field


class EventPayload(BaseModel):
    """Base of every payload model; subclasses set EVENT_TYPE and SCHEMA_VERSION."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    EVENT_TYPE: ClassVar[str] = ""
    SCHEMA_VERSION: ClassVar[int] = 1


def utc_now() -> datetime:
    return datetime.now(UTC)


class Envelope(BaseModel):
    """What every Kafka message value is."""

    model_config = ConfigDict(extra="allow")

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    event_type: str
    schema_version: int = 1
    occurred_at: datetime = Field(default_factory=utc_now)
    produced_at: datetime = Field(default_factory=utc_now)
    source: str
    trace: str | None = None
    payload: dict[str, Any]

    @classmethod
    def wrap(
        cls,
        payload: EventPayload,
        *,
        source: str,
        event_id: uuid.UUID | None = None,
        occurred_at: datetime | None = None,
        trace: str | None = None,
    ) -> Envelope:
        return cls(
            event_id=event_id or uuid.uuid4(),
            event_type=payload.EVENT_TYPE,
            schema_version=payload.SCHEMA_VERSION,
            occurred_at=occurred_at or utc_now(),
            source=source,
            trace=trace,
            payload=payload.model_dump(mode="json", by_alias=True),
        )


class UnknownEventType(LookupError):
    """The envelope names an event type this code does not know: skip it, do not crash."""


_REGISTRY: dict[str, type[EventPayload]] = {}
P = TypeVar("P", bound=EventPayload)


def register_payload(cls: type[P]) -> type[P]:
    """Class decorator: make a payload type decodable by its EVENT_TYPE."""
    if not cls.EVENT_TYPE:
        raise ValueError(f"{cls.__name__} has no EVENT_TYPE")
    _REGISTRY[cls.EVENT_TYPE] = cls
    return cls


def payload_class(event_type: str) -> type[EventPayload]:
    try:
        return _REGISTRY[event_type]
    except KeyError:
        raise UnknownEventType(event_type) from None


def parse_payload(envelope: Envelope) -> EventPayload:
    """Validate the payload with the model registered for its event type."""
    return payload_class(envelope.event_type).model_validate(envelope.payload)


def encode_envelope(envelope: Envelope) -> bytes:
    return orjson.dumps(envelope.model_dump(mode="json"))


@dataclass(frozen=True, slots=True)
class OutgoingEvent:
    """An event for a hot publishing path: its payload already a JSON-ready dict (the same shape
    as the payload model's ``model_dump(mode="json")``), encoded once, without pydantic."""

    key: str
    event_type: str
    payload: dict[str, Any]
    event_id: uuid.UUID
    schema_version: int = 1
    trace: str | None = None
    occurred_at: datetime | None = None


def encode_outgoing(event: OutgoingEvent, source: str, now: datetime | None = None) -> bytes:
    """The bytes ``encode_envelope`` would produce for the same envelope (decodes identically)."""
    produced = now or utc_now()
    return orjson.dumps(
        {
            "event_id": event.event_id,
            "event_type": event.event_type,
            "schema_version": event.schema_version,
            "occurred_at": event.occurred_at or produced,
            "produced_at": produced,
            "source": source,
            "trace": event.trace,
            "payload": event.payload,
        },
        option=orjson.OPT_UTC_Z,
    )


def decode_envelope(raw: bytes) -> Envelope:
    """Raises pydantic.ValidationError or orjson.JSONDecodeError on a malformed message."""
    return Envelope.model_validate(orjson.loads(raw))
