"""Contacts arriving in GHL from outside the API (forms, ads, imports), and the ContactCreate webhook
GHL sends the app for each: the call site that decides to send, where the drop fault applies."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from ghl_simulator.errors import GhlHttpError
from ghl_simulator.ids import ghl_id
from ghl_simulator.sim import Sim, get_sim
from ghl_simulator.state import Json, iso_now
from ghl_simulator.webhooks import WebhookSender

router = APIRouter(prefix="/admin", tags=["admin"])
SimDep = Annotated[Sim, Depends(get_sim)]
# deliveries answered later (wait=false) must not be garbage-collected mid-flight
_IN_FLIGHT: set[asyncio.Task[Any]] = set()


class InboundBody(BaseModel):
    contacts: list[dict[str, Any]] = Field(min_length=1)
    url: str | None = Field(default=None, description="the app's webhook URL (default GHLSIM_WEBHOOK_URL)")
    scheme: Literal["ed25519", "rsa", "both", "none"] = "ed25519"
    wait: bool = Field(default=True, description="answer after the deliveries' final statuses")
    retry_interval_s: float | None = None
    max_retries: int | None = None


def new_contact(sim: Sim, fields: dict[str, Any]) -> Json:
    """Store the contact as GHL would (its own id and ``dateAdded`` unless given)."""
    location_id = fields.get("locationId")
    if location_id not in sim.world.locations:
        raise GhlHttpError(422, ["a contact needs the locationId of a known sub-account"])
    name = " ".join(p for p in (fields.get("firstName"), fields.get("lastName")) if p)
    contact: Json = {"id": ghl_id(), "tags": [], "dateAdded": iso_now(), "dnd": False, **fields}
    contact["name"] = fields.get("name") or name or None
    sim.world.add_contact(contact)
    return contact


def contact_created_body(contact: Json) -> Json:
    """The ContactCreate webhook body: the contact's fields flat beside ``type``."""
    return {"type": "ContactCreate", **contact}


@router.post("/contacts/inbound")
async def inbound_contacts(body: InboundBody, sim: SimDep) -> Json:
    """Create contacts and send a ContactCreate webhook for each, unless a drop fault eats it."""
    url = body.url or sim.settings.webhook_url
    if not url:
        raise GhlHttpError(422, ["no webhook URL: give url or set GHLSIM_WEBHOOK_URL"])
    settings = sim.settings
    interval = settings.webhook_retry_interval_s if body.retry_interval_s is None else body.retry_interval_s
    retries = settings.webhook_max_retries if body.max_retries is None else body.max_retries
    sender = WebhookSender.with_test_keys(retry_interval_s=interval, max_retries=retries)
    created = [new_contact(sim, fields) for fields in body.contacts]
    sent: list[Json] = []
    dropped: list[Json] = []
    for contact in created:
        (dropped if sim.faults.drop_webhook() else sent).append(contact)
    deliveries = [sender.deliver(url, contact_created_body(c), scheme=body.scheme) for c in sent]
    statuses: dict[str, int | None] = {c["id"]: None for c in sent}
    if body.wait:
        results = await asyncio.gather(*deliveries)
        statuses = {c["id"]: r.status for c, r in zip(sent, results, strict=True)}
    else:
        for delivery in deliveries:
            task = asyncio.create_task(delivery)
            _IN_FLIGHT.add(task)
            task.add_done_callback(_IN_FLIGHT.discard)
    return {
        "contacts": created,
        "sent": statuses,
        "dropped": [c["id"] for c in dropped],
    }
