"""Tolerant models of GHL webhook bodies (ghl.events.v1 payloads).

Every field but ``type`` is optional and extra fields are kept, because real deliveries omit
documented fields and add undocumented ones. The envelope's ``event_type`` is the GHL ``type``
for known types and ``Unknown`` otherwise; the payload is always the webhook body as received.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError


class _Tolerant(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class CustomFieldValue(_Tolerant):
    id: str | None = None
    value: Any = None


class _WebhookBase(_Tolerant):
    location_id: str | None = Field(default=None, alias="locationId")
    webhook_id: str | None = Field(default=None, alias="webhookId")
    timestamp: str | None = None


class ContactEvent(_WebhookBase):
    type: Literal["ContactCreate", "ContactUpdate", "ContactDelete", "ContactTagUpdate", "ContactDndUpdate"]
    id: str | None = None
    first_name: str | None = Field(default=None, alias="firstName")
    last_name: str | None = Field(default=None, alias="lastName")
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    address1: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = Field(default=None, alias="postalCode")
    country: str | None = None
    company_name: str | None = Field(default=None, alias="companyName")
    website: str | None = None
    source: str | None = None
    date_added: str | None = Field(default=None, alias="dateAdded")
    tags: list[str] = Field(default_factory=list)
    assigned_to: str | None = Field(default=None, alias="assignedTo")
    custom_fields: list[CustomFieldValue] = Field(default_factory=list, alias="customFields")

    @property
    def entity_id(self) -> str | None:
        return self.id


class OpportunityEvent(_WebhookBase):
    type: Literal[
        "OpportunityCreate",
        "OpportunityUpdate",
        "OpportunityDelete",
        "OpportunityStatusUpdate",
        "OpportunityStageUpdate",
        "OpportunityAssignedToUpdate",
        "OpportunityMonetaryValueUpdate",
    ]
    id: str | None = None
    contact_id: str | None = Field(default=None, alias="contactId")
    assigned_to: str | None = Field(default=None, alias="assignedTo")
    monetary_value: float | None = Field(default=None, alias="monetaryValue")
    name: str | None = None
    pipeline_id: str | None = Field(default=None, alias="pipelineId")
    pipeline_stage_id: str | None = Field(default=None, alias="pipelineStageId")
    source: str | None = None
    status: str | None = None
    date_added: str | None = Field(default=None, alias="dateAdded")

    @property
    def entity_id(self) -> str | None:
        return self.contact_id or self.id


class Appointment(_Tolerant):
    id: str | None = None
    calendar_id: str | None = Field(default=None, alias="calendarId")
    contact_id: str | None = Field(default=None, alias="contactId")
    appointment_status: str | None = Field(default=None, alias="appointmentStatus")
    start_time: str | None = Field(default=None, alias="startTime")
    end_time: str | None = Field(default=None, alias="endTime")
    title: str | None = None
    source: str | None = None


class AppointmentEvent(_WebhookBase):
    type: Literal["AppointmentCreate", "AppointmentUpdate", "AppointmentDelete"]
    appointment: Appointment = Field(default_factory=Appointment)

    @property
    def entity_id(self) -> str | None:
        return self.appointment.contact_id or self.appointment.id


class LocationEvent(_WebhookBase):
    type: Literal["LocationCreate", "LocationUpdate"]
    id: str | None = None
    company_id: str | None = Field(default=None, alias="companyId")
    name: str | None = None
    email: str | None = None

    @property
    def entity_id(self) -> str | None:
        return self.id


class InstallEvent(_WebhookBase):
    type: Literal["INSTALL", "UNINSTALL"]
    app_id: str | None = Field(default=None, alias="appId")
    company_id: str | None = Field(default=None, alias="companyId")
    user_id: str | None = Field(default=None, alias="userId")
    plan_id: str | None = Field(default=None, alias="planId")

    @property
    def entity_id(self) -> str | None:
        return self.location_id or self.company_id


class MessageEvent(_WebhookBase):
    """Inbound/outbound messages and calls: the router's SLA timer treats outbound ones as a touch."""

    type: Literal["InboundMessage", "OutboundMessage"]
    contact_id: str | None = Field(default=None, alias="contactId")
    message_type: str | None = Field(default=None, alias="messageType")
    direction: str | None = None

    @property
    def entity_id(self) -> str | None:
        return self.contact_id


class UnknownGhlEvent(_WebhookBase):
    """Any other type: accepted and passed on untouched."""

    type: str
    id: str | None = None

    @property
    def entity_id(self) -> str | None:
        return self.id


KnownGhlEvent = Annotated[
    ContactEvent | OpportunityEvent | AppointmentEvent | LocationEvent | InstallEvent | MessageEvent,
    Field(discriminator="type"),
]
GhlEvent = (
    ContactEvent
    | OpportunityEvent
    | AppointmentEvent
    | LocationEvent
    | InstallEvent
    | MessageEvent
    | UnknownGhlEvent
)
UNKNOWN_EVENT_TYPE = "Unknown"

_known_adapter: TypeAdapter[Any] = TypeAdapter(KnownGhlEvent)
_KNOWN_TYPES: frozenset[str] = frozenset(
    t
    for model in (ContactEvent, OpportunityEvent, AppointmentEvent, LocationEvent, InstallEvent, MessageEvent)
    for t in model.model_fields["type"].annotation.__args__  # type: ignore[union-attr]
)


def is_known_type(ghl_type: str) -> bool:
    return ghl_type in _KNOWN_TYPES


def parse_ghl_event(body: dict[str, Any]) -> GhlEvent:
    """Parse a webhook body. Raises ValueError when ``type`` is missing or a known type is malformed."""
    ghl_type = body.get("type")
    if not isinstance(ghl_type, str) or not ghl_type:
        raise ValueError("webhook body has no 'type'")
    if not is_known_type(ghl_type):
        return UnknownGhlEvent.model_validate(body)
    try:
        event: GhlEvent = _known_adapter.validate_python(body)
    except ValidationError as exc:
        raise ValueError(f"malformed {ghl_type} webhook: {exc.errors(include_url=False)}") from exc
    return event


def envelope_event_type(event: GhlEvent) -> str:
    return UNKNOWN_EVENT_TYPE if isinstance(event, UnknownGhlEvent) else event.type
