"""leads.assigned.v1: routing decisions and their application in GHL."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from leadflow_common.events.envelope import EventPayload, register_payload


class RouteCandidate(BaseModel):
    location_id: str
    distance_miles: float
    reserved_today: int
    daily_capacity: int
    eligible: bool
    reason: str | None = None


class LeadContact(BaseModel):
    """The contact as the intake sub-account sent it: what the sync copies into the location's
    sub-account without reading it back from GHL (GHL API field names)."""

    firstName: str | None = None  # noqa: N815 - GHL's field names, copied as they are
    lastName: str | None = None  # noqa: N815
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    address1: str | None = None
    city: str | None = None
    state: str | None = None
    postalCode: str | None = None  # noqa: N815
    country: str | None = None
    companyName: str | None = None  # noqa: N815
    website: str | None = None
    source: str | None = None
    tags: list[str] = []


@register_payload
class LeadAssigned(EventPayload):
    EVENT_TYPE = "LeadAssigned"

    lead_id: str
    source_location_id: str | None = None
    location_id: str
    ghl_location_id: str | None = None
    rule: str
    distance_miles: float | None = None
    score: float
    geocode_method: str
    capacity_date: date
    decided_at: datetime
    candidates: list[RouteCandidate] = []
    reasons: list[str] = []
    # Absent on events republished from a stored decision (crash recovery, SLA re-route): the
    # sync then reads the contact from GHL.
    contact: LeadContact | None = None
    # the router's routing policy version it was decided under (absent: republished, or older)
    policy_version: int | None = None


@register_payload
class LeadUnassigned(EventPayload):
    EVENT_TYPE = "LeadUnassigned"

    lead_id: str
    source_location_id: str | None = None
    reason: str
    score: float
    geocode_method: str
    state: str | None = None
    decided_at: datetime
    candidates: list[RouteCandidate] = []
    reasons: list[str] = []
    policy_version: int | None = None  # as on LeadAssigned


@register_payload
class LeadSynced(EventPayload):
    EVENT_TYPE = "LeadSynced"

    lead_id: str
    location_id: str
    ghl_location_id: str
    location_contact_id: str
    synced_at: datetime


@register_payload
class LeadReassigned(EventPayload):
    """A lead moved: an SLA re-route (``reason`` starts with ``sla``), a person's reassignment
    (``rule`` ``manual`` / ``reassigned``, ``actor`` who) or the pool re-drive (``pool_redrive``).
    ``from_location_id`` is empty when the lead came out of the unassigned pool."""

    EVENT_TYPE = "LeadReassigned"

    lead_id: str
    from_location_id: str
    to_location_id: str | None
    reason: str
    attempt: int
    score: float | None = None
    decided_at: datetime
    rule: str | None = None  # absent on SLA re-routes (their LeadAssigned says sla_reassign)
    actor: str | None = None  # who asked for the move (None: the router itself)


@register_payload
class LeadWorked(EventPayload):
    """The first qualifying touch of an assigned lead (outbound message or call, appointment,
    opportunity stage/status change): what speed-to-lead is measured from."""

    EVENT_TYPE = "LeadWorked"

    lead_id: str
    location_id: str
    assigned_at: datetime
    worked_at: datetime
    touch: str
    within_sla: bool
