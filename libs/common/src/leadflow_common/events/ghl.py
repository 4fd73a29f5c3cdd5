"""Tolerant models of GHL webhook bodies (ghl.events.v1 payloads).

Every field but ``type`` is optional and extra fields are kept, because real deliveries omit
documented fields and add undocumented ones. A field that is ``null`` or of an unexpected shape is
normalised (``tags`` as a comma-separated string, ``customFields`` as an ``{id: value}`` object,
numbers where strings belong, ``"$1,250.00"`` as a monetary value) or else read as absent, never
refused: GHL treats a 4xx as final, so refusing a signed delivery would lose the lead. The
envelope's ``event_type`` is the GHL ``type`` for known types and ``Unknown`` otherwise; the
payload is always the webhook body as received.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidatorFunctionWrapHandler,
    model_validator,
)


def _tags(value: Any) -> Any:
    if value is None:
        return []
    if isinstance(value, str):
        return [tag.strip() for tag in value.split(",") if tag.strip()]
    if isinstance(value, list):
        return [str(tag) for tag in value if isinstance(tag, str | int | float) and str(tag).strip()]
    return value


def _custom_fields(value: Any) -> Any:
    if value is None:
        return []
    if isinstance(value, dict):
        return [{"id": str(key), "value": item} for key, item in value.items()]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    return value


def _number(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("$", "").replace(",", "").strip() or None
    return value


# Shapes worth repairing before giving a field up (keys are the wire names).
_NORMALISERS: dict[str, Callable[[Any], Any]] = {
    "tags": _tags,
    "customFields": _custom_fields,
    "monetaryValue": _number,
}


def _fields_in_error(error: ValidationError) -> set[str]:
    return {str(e["loc"][0]) for e in error.errors() if e["loc"] and e["loc"][0] != "type"}


class _Tolerant(BaseModel):
    # Numbers sent where strings belong (phone, ids, zip codes as JSON numbers) are kept as text.
    model_config = ConfigDict(extra="allow", populate_by_name=True, coerce_numbers_to_str=True)

    @model_validator(mode="wrap")
    @classmethod
    def _normalise_or_drop(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        """Well-formed bodies take one validation; a field that fails is repaired, else dropped.

        Only the fields named in the errors are touched, so extra fields and the rest of the body
        are read as sent; ``type`` is never repaired (the discriminator decides the model).
        """
        try:
            return handler(data)
        except ValidationError as error:
            bad = _fields_in_error(error)
            if not isinstance(data, dict) or not bad:
                raise
            repaired = {
                k: _NORMALISERS[k](v) if k in bad and k in _NORMALISERS else v for k, v in data.items()
            }
        try:
            return handler(repaired)
        except ValidationError as error:
            bad = _fields_in_error(error)
            if not bad:
                raise
            # Fields given by their Python name (populate_by_name) are reported under their alias.
            bad |= {name for name, f in cls.model_fields.items() if f.alias in bad}
            return handler({k: v for k, v in repaired.items() if k not in bad})


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
    """Parse a webhook body (normalising malformed optional fields). Raises ValueError without ``type``."""
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
